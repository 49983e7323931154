//! The shipped example must always be clean.

mod common;

use common::Sandbox;

#[test]
fn the_shipped_example_passes_check() {
    let s = Sandbox::example();
    let run = s.pipe(&["check"]).expect(0);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("104 prospects"), "{}", run.stderr);
    assert!(
        run.stderr.contains("0 errors, 0 warnings"),
        "{}",
        run.stderr
    );
}
