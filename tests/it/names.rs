//! Names found through the slot hints each name keeps: a hint is only a
//! guess, so a name must find the right variable however the variables
//! around it change (other locals in each call, a builtin hidden later,
//! parallel calls, the turns of a session).

use rlmq::eval::Limits;
use rlmq::session::Shell;

use crate::common::{context_of, eval, sample};

#[test]
fn a_local_is_found_whatever_was_bound_before_it_in_each_call() {
    let code = "def g(a, flag) {\n  if flag { let z = a + 1 }\n  let y = a * 2\n  return y\n}\nprint([g(i, i % 2 == 0) for i in range(6)])";
    assert_eq!(eval(code).unwrap(), "[0,2,4,6,8,10]\n");
}

#[test]
fn parallel_calls_with_different_locals_agree_with_python() {
    let code = "def g(a, flag) {\n  if flag { let z = a + 1 }\n  let y = a * 2\n  return y\n}\nprint(range(1000) | map(i => g(i, i % 3 == 0)) | sum)";
    assert_eq!(eval(code).unwrap(), "999000\n");
}

#[test]
fn a_local_hides_the_global_of_the_same_name_only_inside_its_call() {
    let code = "let x = 5\ndef h() {\n  let x = 1\n  return x\n}\nprint(h(), x)\ndef k() { return x }\nprint(k())";
    assert_eq!(eval(code).unwrap(), "1 5\n5\n");
}

#[test]
fn a_builtin_called_before_a_variable_hides_it_is_not_called_after() {
    let code = "for w in [\"a\", \"b\"] {\n  print(count(w, \"a\"))\n  let count = 1\n}";
    let err = eval(code).unwrap_err();
    assert!(
        err.contains("`count` is the script's variable here"),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_parameter_named_like_a_builtin_hides_it_in_its_call_only() {
    let code = "def f(len) { return len + 1 }\ndef g(s) { return len(s) }\nprint(g(\"abc\"), f(1), g(\"ab\"), f(2))";
    assert_eq!(eval(code).unwrap(), "3 2 2 3\n");
}

#[test]
fn names_bound_in_one_turn_are_found_in_the_next() {
    let mut shell = Shell::new(context_of(&sample()), Limits::default(), "test").unwrap();
    for (code, printed) in [
        ("let total = 0\nlet step = 2", ""),
        (
            "let extra = 1\nfor i in range(5) { total += i * step }\nprint(total)",
            "20\n",
        ),
        (
            "def f() { return total + extra }\nprint(f(), total)",
            "21 20\n",
        ),
    ] {
        let turn = shell.run(code);
        assert!(
            turn.error.is_none(),
            "{code}: {:?}",
            turn.error.map(|e| e.rendered)
        );
        assert_eq!(turn.output, printed, "{code}");
    }
}

#[test]
fn a_closure_keeps_the_names_it_captured_after_its_turn_is_gone() {
    // A call's locals borrow their names from the program; what a lambda
    // or inner def closes over owns them, so it outlives the turn whose
    // program defined it.
    let mut shell = Shell::new(context_of(&sample()), Limits::default(), "test").unwrap();
    for (code, printed) in [
        (
            "def make(k) {\n  let base = k * 10\n  def inner(y) { return y + base }\n  return x => inner(x) + k\n}\nlet add = make(2)",
            "",
        ),
        ("print(add(1), [1, 2] | map(add))", "23 [23,24]\n"),
        ("let base = 0\nprint(add(5), make(3)(1))", "27 34\n"),
    ] {
        let turn = shell.run(code);
        assert!(
            turn.error.is_none(),
            "{code}: {:?}",
            turn.error.map(|e| e.rendered)
        );
        assert_eq!(turn.output, printed, "{code}");
    }
}
