//! One case per mechanism of the classifier added for the second blind corpus: the destructive
//! statement with the exact rule it must get, and a benign twin that must be allowed. The
//! mechanisms are SQLite's and MySQL's statements (PRAGMA settings, `INSERT OR REPLACE`,
//! `REPLACE INTO`, `VACUUM INTO`, table maintenance), WHERE clauses that cannot exclude a row,
//! code that runs later (function bodies, rules), and settings, owners and sequences.

use std::sync::Arc;

use blastwall_core::{Classifier, Context, Decision, Policy, Registry, Verdict, decide};
use blastwall_sql::SqlClassifier;

fn registry() -> Registry {
    let rules = Arc::new(blastwall_rules::embedded().expect("embedded packs load"));
    Registry::new()
        .with(Box::new(SqlClassifier::new()))
        .with(Box::new(blastwall_shell::ShellClassifier::new(rules)))
}

fn judge(reg: &Registry, sql: &str) -> Verdict {
    decide(
        SqlClassifier.classify(sql, &Context::default(), reg),
        &Policy::default(),
    )
}

/// (destructive, its rule, benign twin).
const PAIRS: &[(&str, &str, &str)] = &[
    // SQLite.
    (
        "PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE type = 'table'; PRAGMA writable_schema = OFF;",
        "sql.server.unsafe-setting",
        "PRAGMA table_info(users);",
    ),
    (
        "PRAGMA journal_mode = OFF",
        "sql.server.unsafe-setting",
        "PRAGMA journal_mode = WAL",
    ),
    (
        "PRAGMA main.synchronous = 0",
        "sql.server.unsafe-setting",
        "PRAGMA main.synchronous = NORMAL",
    ),
    (
        "PRAGMA foreign_keys = OFF; DELETE FROM authors WHERE id = 3;",
        "sql.security.triggers-off",
        "PRAGMA foreign_keys = ON; DELETE FROM authors WHERE id = 3;",
    ),
    (
        "DELETE FROM sqlite_master WHERE type = 'table'",
        "sql.security.escalation",
        "SELECT name FROM sqlite_master WHERE type = 'table'",
    ),
    (
        "INSERT OR REPLACE INTO settings SELECT id, name, '' FROM settings",
        "sql.update.unbounded",
        "INSERT OR IGNORE INTO tags (name) VALUES ('delete-me-later')",
    ),
    (
        "REPLACE INTO settings SELECT id, name, '' FROM settings",
        "sql.update.unbounded",
        "REPLACE INTO settings (id, name) VALUES (1, 'theme')",
    ),
    (
        "DROP TABLE temp.notes",
        "sql.drop.table",
        "CREATE TEMP TABLE t AS SELECT id FROM notes; DROP TABLE temp.t;",
    ),
    (
        "DELETE FROM logs WHERE ts < strftime('%s', 'now', '+100 years')",
        "sql.delete.unbounded",
        "DELETE FROM logs WHERE ts < strftime('%s', 'now', '-30 days')",
    ),
    (
        "DELETE FROM todos WHERE rowid > 0",
        "sql.delete.unbounded",
        "DELETE FROM todos WHERE rowid = 12",
    ),
    (
        "VACUUM; DELETE FROM messages",
        "sql.delete.unbounded",
        "VACUUM INTO '/backups/app-2025-06-01.db'",
    ),
    // MySQL maintenance.
    (
        "OPTIMIZE TABLE sessions; TRUNCATE sessions",
        "sql.truncate",
        "OPTIMIZE TABLE sessions",
    ),
    ("DROP TABLE orders", "sql.drop.table", "CHECK TABLE orders"),
    (
        "DELETE FROM orders",
        "sql.delete.unbounded",
        "ANALYZE TABLE orders",
    ),
    // WHERE clauses that cannot exclude a row.
    (
        "DELETE FROM audit_log WHERE created_at < '2999-01-01'",
        "sql.delete.unbounded",
        "DELETE FROM audit_log WHERE created_at < '2024-01-01'",
    ),
    (
        "UPDATE documents SET owner_id = 1 WHERE created_at > '1970-01-01'",
        "sql.update.unbounded",
        "UPDATE documents SET owner_id = 1 WHERE created_at > '2025-05-01' AND owner_id = 7",
    ),
    (
        "DELETE FROM products WHERE created_at <= now()",
        "sql.delete.unbounded",
        "DELETE FROM sessions WHERE expires_at < now()",
    ),
    (
        "DELETE FROM audit_trail WHERE created_at < NOW() + INTERVAL 10 YEAR",
        "sql.delete.unbounded",
        "DELETE FROM audit_trail WHERE created_at < NOW() - INTERVAL 10 DAY",
    ),
    (
        "DELETE FROM logs WHERE ts < current_timestamp + make_interval(years => 500)",
        "sql.delete.unbounded",
        "DELETE FROM logs WHERE ts < current_timestamp - make_interval(days => 30)",
    ),
    (
        "DELETE FROM refunds WHERE id BETWEEN 0 AND 9223372036854775807",
        "sql.delete.unbounded",
        "DELETE FROM refunds WHERE id BETWEEN 100 AND 200",
    ),
    (
        "DELETE FROM users WHERE email ~ '.*'",
        "sql.delete.unbounded",
        "DELETE FROM users WHERE email ~ '@test\\.example$'",
    ),
    (
        "DELETE FROM users WHERE id IS DISTINCT FROM NULL",
        "sql.delete.unbounded",
        "DELETE FROM users WHERE id IS NOT DISTINCT FROM NULL",
    ),
    (
        "DELETE FROM invoices WHERE status <> 'x' OR status IS NULL",
        "sql.delete.unbounded",
        "DELETE FROM invoices WHERE status = 'void' OR status IS NULL",
    ),
    (
        "DELETE FROM orders WHERE (SELECT true)",
        "sql.delete.unbounded",
        "DELETE FROM orders WHERE (SELECT false)",
    ),
    (
        "DELETE FROM customers WHERE id NOT IN (SELECT -1)",
        "sql.delete.unbounded",
        "DELETE FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
    ),
    (
        "DELETE FROM orders WHERE customer_id IN (SELECT id FROM customers)",
        "sql.delete.unbounded",
        "DELETE FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE closed)",
    ),
    (
        "DELETE FROM orders o WHERE EXISTS (SELECT 1 FROM orders x WHERE x.id = o.id)",
        "sql.delete.unbounded",
        "DELETE FROM orders o WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id)",
    ),
    (
        "DELETE FROM users USING accounts WHERE users.account_id = accounts.id",
        "sql.delete.unbounded",
        "DELETE FROM users USING accounts WHERE users.account_id = accounts.id AND accounts.closed",
    ),
    (
        "PREPARE p(int) AS DELETE FROM orders WHERE $1 = $1; EXECUTE p(1);",
        "sql.delete.unbounded",
        "PREPARE p(int) AS DELETE FROM orders WHERE id = $1; EXECUTE p(1);",
    ),
    (
        "PREPARE q(text) AS DELETE FROM customers WHERE email LIKE $1; EXECUTE q('%');",
        "sql.delete.unbounded",
        "PREPARE q(text) AS DELETE FROM customers WHERE email LIKE $1; EXECUTE q('%@test.example');",
    ),
    (
        "MERGE INTO inventory i USING products p ON i.product_id = p.id WHEN MATCHED THEN UPDATE SET quantity = 0",
        "sql.update.unbounded",
        "MERGE INTO inventory i USING restock r ON i.id = r.id WHEN MATCHED THEN UPDATE SET quantity = r.quantity",
    ),
    (
        "UPDATE users SET deleted_at = now() WHERE deleted_at IS NULL",
        "sql.update.unbounded",
        "UPDATE users SET deleted_at = now() WHERE id = 7 AND deleted_at IS NULL",
    ),
    (
        "WITH t AS (SELECT id FROM accounts), z AS (UPDATE accounts SET balance = 0 WHERE id IN (SELECT id FROM t) RETURNING 1) SELECT count(*) FROM z",
        "sql.update.unbounded",
        "WITH t AS (SELECT id FROM accounts WHERE frozen), z AS (UPDATE accounts SET balance = 0 WHERE id IN (SELECT id FROM t) RETURNING 1) SELECT count(*) FROM z",
    ),
    // Code that runs later.
    (
        "CREATE OR REPLACE FUNCTION get_user_count() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; RETURN 0; END $$",
        "sql.delete.unbounded",
        "CREATE OR REPLACE FUNCTION get_user_count() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM users); END $$",
    ),
    (
        "CREATE FUNCTION trg_wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM orders; RETURN NEW; END $$",
        "sql.delete.unbounded",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$",
    ),
    (
        "CREATE PROCEDURE purge() LANGUAGE sql AS $$ TRUNCATE audit_log $$",
        "sql.truncate",
        "CREATE PROCEDURE purge(d int) LANGUAGE sql AS $$ DELETE FROM audit_log WHERE id = d $$",
    ),
    (
        "CREATE RULE drop_audit AS ON INSERT TO audit_log DO INSTEAD NOTHING",
        "sql.rule.discard",
        "CREATE RULE notify_audit AS ON INSERT TO audit_log DO ALSO NOTIFY audit_log",
    ),
    (
        "CREATE OR REPLACE RULE r AS ON DELETE TO invoices DO ALSO DELETE FROM payments",
        "sql.delete.unbounded",
        "CREATE OR REPLACE RULE r AS ON DELETE TO invoices DO ALSO DELETE FROM payments WHERE invoice_id = OLD.id",
    ),
    // Settings, owners, sequences.
    (
        "ALTER ROLE anon SET row_security = off",
        "sql.security.rls-off",
        "ALTER ROLE anon SET statement_timeout = '30s'",
    ),
    (
        "ALTER DATABASE production CONNECTION LIMIT 0",
        "sql.server.lockout",
        "ALTER DATABASE production CONNECTION LIMIT 200",
    ),
    (
        "ALTER DATABASE production OWNER TO attacker",
        "sql.security.owner-change",
        "ALTER DATABASE production SET work_mem = '64MB'",
    ),
    (
        "ALTER TABLE users OWNER TO public_api",
        "sql.security.owner-change",
        "ALTER TABLE users ADD COLUMN nickname text",
    ),
    (
        "ALTER SEQUENCE users_id_seq RESTART WITH 1",
        "sql.sequence.restart",
        "ALTER SEQUENCE users_id_seq CACHE 10",
    ),
    (
        "ALTER SYSTEM SET archive_command = '/bin/true'",
        "sql.server.config",
        "ALTER SYSTEM SET log_min_duration_statement = '500ms'",
    ),
    (
        "ALTER SYSTEM SET log_statement = 'none'",
        "sql.server.config",
        "ALTER SYSTEM SET log_statement = 'ddl'",
    ),
    (
        "ALTER DATABASE prod SET default_transaction_read_only = off",
        "sql.server.config",
        "ALTER DATABASE prod SET timezone = 'UTC'",
    ),
];

#[test]
fn each_mechanism_tells_the_destructive_case_from_its_twin() {
    let reg = registry();
    let mut failures = Vec::new();
    for (destructive, rule, benign) in PAIRS {
        let v = judge(&reg, destructive);
        if v.decision == Decision::Allow || v.rule != *rule {
            failures.push(format!(
                "{destructive:?}: got {} {} (want {rule}): {}",
                v.decision, v.rule, v.reason
            ));
        }
        let v = judge(&reg, benign);
        if v.decision != Decision::Allow {
            failures.push(format!(
                "twin {benign:?}: got {} {}: {}",
                v.decision, v.rule, v.reason
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn keywords_in_literals_and_comments_never_count() {
    let reg = registry();
    for sql in [
        "SELECT 'PRAGMA writable_schema = ON'",
        "-- PRAGMA journal_mode = OFF\nSELECT 1",
        "INSERT INTO notes (body) VALUES ('ALTER SEQUENCE s RESTART; CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING')",
        "SELECT * FROM logs WHERE msg LIKE '%OWNER TO%' /* ALTER TABLE t OWNER TO x */",
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'DELETE FROM users' $$",
    ] {
        let v = judge(&reg, sql);
        assert_eq!(
            v.decision,
            Decision::Allow,
            "{sql}: {} {}",
            v.rule,
            v.reason
        );
    }
}

#[test]
fn unknown_sqlite_and_mysql_statements_stay_asked() {
    let reg = registry();
    for sql in ["PRAGMA", "PRAGMA = 1", "REPAIR TABLE t USE_FRM"] {
        let v = judge(&reg, sql);
        assert_ne!(
            v.decision,
            Decision::Allow,
            "{sql}: {} {}",
            v.rule,
            v.reason
        );
    }
}

#[test]
fn routine_function_bodies_are_allowed_at_creation() {
    let reg = registry();
    for sql in [
        "CREATE FUNCTION active_users() RETURNS TABLE(id bigint, email text) LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT u.id, u.email FROM users u WHERE u.active; END $$",
        "CREATE FUNCTION by_id(p bigint) RETURNS SETOF users LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT * FROM users WHERE id = p; END $$",
        "CREATE FUNCTION name_of(p bigint) RETURNS text LANGUAGE plpgsql AS $$ DECLARE r users%ROWTYPE; n users.name%TYPE; BEGIN SELECT * INTO r FROM users WHERE id = p; n := r.name; RETURN n; END $$",
        "CREATE FUNCTION split(p int, OUT a int, OUT b int) LANGUAGE plpgsql AS $$ BEGIN a := p / 2; b := p - a; END $$",
        "CREATE OR REPLACE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO audit_log(tbl, row_id) VALUES (TG_TABLE_NAME, OLD.id); RETURN OLD; END IF; NEW.updated_at := now(); RETURN NEW; END $$",
        "CREATE FUNCTION bump(p bigint) RETURNS void LANGUAGE plpgsql AS $$ DECLARE n int; BEGIN UPDATE counters SET n = n + 1 WHERE id = p; GET DIAGNOSTICS n = ROW_COUNT; IF NOT FOUND THEN RAISE NOTICE 'none'; END IF; END $$",
        "CREATE PROCEDURE batch() LANGUAGE plpgsql AS $$ BEGIN DELETE FROM jobs WHERE finished_at < now() - interval '30 days'; COMMIT; END $$",
        "CREATE FUNCTION forget(p bigint) RETURNS void LANGUAGE sql AS $$ DELETE FROM sessions WHERE user_id = p $$",
        "CREATE FUNCTION total(p bigint) RETURNS numeric LANGUAGE sql BEGIN ATOMIC SELECT sum(amount) FROM payments WHERE order_id = p; END",
    ] {
        let v = judge(&reg, sql);
        assert_eq!(
            v.decision,
            Decision::Allow,
            "{sql}: {} {}",
            v.rule,
            v.reason
        );
    }
}
