//! `verify` finds each kind of tampering and names the first bad record; a clean log verifies.

mod common;

use blastwall_audit::{AuditError, AuditLog, Fault, GENESIS};
use common::{log_with, record, tamper};

fn verify(path: &std::path::Path) -> blastwall_audit::VerifyReport {
    AuditLog::open(path).unwrap().verify().unwrap()
}

#[test]
fn a_clean_log_verifies() {
    let (_dir, path, receipts) = log_with(12);
    let report = verify(&path);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.records, 12);
    assert_eq!(report.last.as_ref(), receipts.last());
    assert_eq!(report.head.as_ref(), receipts.last());
    assert_eq!(report.unanchored, 0);
    assert_eq!(
        receipts.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
}

#[test]
fn an_empty_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let report = AuditLog::open(dir.path().join("a.db"))
        .unwrap()
        .verify()
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.records, 0);
    assert_eq!(report.head.unwrap().hash, GENESIS);
}

#[test]
fn an_edited_decision_is_a_hash_mismatch_of_that_record() {
    let (_dir, path, _) = log_with(10);
    // Record 6 is a deny (6 % 3 == 0).
    tamper(
        &path,
        "UPDATE audit_records SET decision = 'allow' WHERE seq = 6",
    );
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(6), "{report}");
    assert!(matches!(
        report.faults_of(6).as_slice(),
        [Fault::HashMismatch { .. }]
    ));
    assert_eq!(report.problems.len(), 1, "{report}");
}

#[test]
fn a_flipped_bit_in_a_stored_field_is_a_hash_mismatch() {
    let (_dir, path, _) = log_with(10);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let input: String = conn
        .query_row("SELECT input FROM audit_records WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mut bytes = input.into_bytes();
    bytes[3] ^= 0x01;
    let flipped = String::from_utf8(bytes).unwrap();
    conn.execute(
        "UPDATE audit_records SET input = ?1 WHERE seq = 3",
        [&flipped],
    )
    .unwrap();
    drop(conn);
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(3), "{report}");
    assert!(matches!(report.faults_of(3)[0], Fault::HashMismatch { .. }));
}

#[test]
fn a_flipped_byte_in_the_database_file_is_found() {
    let (_dir, path, _) = log_with(10);
    // Every connection is closed, so the records sit in the main file, not the WAL.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"MARK0007")
        .expect("record 7's input is in the file");
    bytes[at + 4] ^= 0x02; // '0' -> '2': still valid text, so only the hash can tell
    std::fs::write(&path, bytes).unwrap();
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(7), "{report}");
    assert!(matches!(report.faults_of(7)[0], Fault::HashMismatch { .. }));
}

#[test]
fn a_deleted_record_breaks_the_link_of_the_next() {
    let (_dir, path, _) = log_with(10);
    tamper(&path, "DELETE FROM audit_records WHERE seq = 5");
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(6), "{report}");
    let faults = report.faults_of(6);
    assert!(
        faults.iter().any(|f| matches!(
            f,
            Fault::BrokenLink {
                previous_seq: Some(4),
                ..
            }
        )),
        "{report}"
    );
    assert!(faults.iter().any(|f| matches!(
        f,
        Fault::SequenceGap {
            expected: 5,
            found: 6
        }
    )));
    assert!(
        !faults
            .iter()
            .any(|f| matches!(f, Fault::HashMismatch { .. }))
    );
}

#[test]
fn a_deleted_first_record_is_found() {
    let (_dir, path, _) = log_with(4);
    tamper(&path, "DELETE FROM audit_records WHERE seq = 1");
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(2), "{report}");
    assert!(report.faults_of(2).iter().any(|f| matches!(
        f,
        Fault::BrokenLink {
            previous_seq: None,
            ..
        }
    )));
}

#[test]
fn a_swapped_pair_is_found_at_the_first_of_the_two() {
    let (_dir, path, _) = log_with(10);
    tamper(
        &path,
        "UPDATE audit_records SET seq = -1 WHERE seq = 3;
         UPDATE audit_records SET seq = 3 WHERE seq = 4;
         UPDATE audit_records SET seq = 4 WHERE seq = -1;",
    );
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(3), "{report}");
    let faults = report.faults_of(3);
    assert!(
        faults.iter().any(|f| matches!(f, Fault::BrokenLink { .. })),
        "{report}"
    );
    assert!(
        faults
            .iter()
            .any(|f| matches!(f, Fault::HashMismatch { .. })),
        "{report}"
    );
}

#[test]
fn a_truncated_tail_is_found_through_the_head_file() {
    let (_dir, path, _) = log_with(10);
    tamper(&path, "DELETE FROM audit_records WHERE seq > 7");
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(8), "{report}");
    assert_eq!(
        report.first_problem().unwrap().fault,
        Fault::TruncatedTail {
            head_seq: 10,
            last_seq: 7
        }
    );
    assert_eq!(
        report.problems.len(),
        1,
        "the chain itself is intact: {report}"
    );
}

#[test]
fn an_emptied_log_is_a_truncated_tail() {
    let (_dir, path, _) = log_with(3);
    tamper(&path, "DELETE FROM audit_records");
    let report = verify(&path);
    assert_eq!(
        report.first_problem().unwrap().fault,
        Fault::TruncatedTail {
            head_seq: 3,
            last_seq: 0
        },
        "{report}"
    );
}

#[test]
fn a_rewritten_tail_is_a_head_mismatch() {
    let (_dir, path, _) = log_with(5);
    // Consistent forgery of the last record's hash: the chain alone still looks intact.
    tamper(
        &path,
        &format!(
            "UPDATE audit_records SET hash = '{}' WHERE seq = 5",
            "f".repeat(64)
        ),
    );
    let report = verify(&path);
    assert_eq!(report.first_bad_seq(), Some(5), "{report}");
    let faults = report.faults_of(5);
    assert!(
        faults
            .iter()
            .any(|f| matches!(f, Fault::HeadMismatch { .. })),
        "{report}"
    );
}

#[test]
fn a_missing_head_file_is_reported() {
    let (_dir, path, _) = log_with(3);
    std::fs::remove_file(blastwall_audit::AuditLog::open(&path).unwrap().head_path()).unwrap();
    let report = verify(&path);
    assert_eq!(
        report.first_problem().unwrap().fault,
        Fault::HeadMissing,
        "{report}"
    );
}

#[test]
fn appends_stop_after_tampering_until_an_operator_reanchors() {
    let (_dir, path, _) = log_with(6);
    tamper(&path, "DELETE FROM audit_records WHERE seq = 6");
    let log = AuditLog::open(&path).unwrap();
    let err = log.append(&record(7)).unwrap_err();
    assert!(matches!(err, AuditError::HeadDisagrees { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(log.last().unwrap().unwrap().seq, 5, "nothing was appended");

    let head = log.reanchor().unwrap();
    assert_eq!(head.seq, 5);
    assert_eq!(log.append(&record(7)).unwrap().seq, 6);
    assert!(log.verify().unwrap().is_clean());
}

#[test]
fn a_record_after_the_head_is_an_interrupted_append_not_tampering() {
    let (_dir, path, receipts) = log_with(5);
    // What a crash between commit and head update leaves: the head one record behind.
    std::fs::write(
        blastwall_audit::AuditLog::open(&path).unwrap().head_path(),
        format!("blastwall-audit-head/1 4 {}\n", receipts[3].hash),
    )
    .unwrap();
    let log = AuditLog::open(&path).unwrap();
    let report = log.verify().unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.unanchored, 1);
    // The next append anchors it again.
    assert_eq!(log.append(&record(6)).unwrap().seq, 6);
    let report = log.verify().unwrap();
    assert!(report.is_clean() && report.unanchored == 0, "{report}");
}

#[test]
fn a_damaged_header_is_a_clear_error() {
    let (_dir, path, _) = log_with(3);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..16].copy_from_slice(b"not a database!!");
    std::fs::write(&path, bytes).unwrap();
    let err = AuditLog::open(&path).unwrap_err();
    assert!(matches!(err, AuditError::NotAnAuditLog { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn flipped_bytes_anywhere_in_the_file_never_panic() {
    let (dir, path, _) = log_with(40);
    let original = std::fs::read(&path).unwrap();
    let head = std::fs::read(blastwall_audit::AuditLog::open(&path).unwrap().head_path()).unwrap();
    let mut noticed = 0;
    let mut offsets: Vec<usize> = (0..original.len()).step_by(509).collect();
    offsets.extend([16, 18, 21, 28, 56, 60, 100, 101, 105, 4096, 4097, 4100]);
    for (i, at) in offsets
        .into_iter()
        .filter(|&a| a < original.len())
        .enumerate()
    {
        let copy = dir.path().join(format!("copy-{i}.db"));
        let mut bytes = original.clone();
        bytes[at] ^= 0xff;
        std::fs::write(&copy, bytes).unwrap();
        std::fs::write(format!("{}.head", copy.display()), &head).unwrap();
        let outcome = AuditLog::open(&copy).and_then(|log| log.verify());
        match outcome {
            Ok(report) if report.is_clean() => {}
            Ok(report) => {
                assert!(!report.to_string().is_empty());
                noticed += 1;
            }
            Err(e) => {
                assert!(
                    e.to_string().contains("copy-"),
                    "the error names the file: {e}"
                );
                noticed += 1;
            }
        }
    }
    assert!(noticed > 0, "some flipped byte must have been noticed");
}

#[test]
fn a_foreign_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    tamper(&path, "CREATE TABLE t (x INTEGER)");
    let err = AuditLog::open(&path).unwrap_err();
    assert!(matches!(err, AuditError::NotAnAuditLog { .. }), "{err}");
}
