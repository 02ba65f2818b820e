//! The syntax stage from the outside: what programs parse into (as the
//! S-expressions of `syntax::dump`), and what the errors look like.

use rlmq::diag::render_all;
use rlmq::syntax::span::SourceMap;
use rlmq::syntax::{dump, parse};

use super::common::Rng;

fn sources(src: &str) -> (SourceMap, u32) {
    let mut map = SourceMap::new();
    let id = map.add("test.rlq", src);
    (map, id)
}

/// The dump of a program that must parse.
fn ast(src: &str) -> String {
    let (map, id) = sources(src);
    match parse(&map, id) {
        Ok(p) => dump::program(&p),
        Err(d) => panic!("{src}\n{}", render_all(&d, &map)),
    }
}

/// The rendered errors of a program that must not parse.
fn errors(src: &str) -> String {
    let (map, id) = sources(src);
    match parse(&map, id) {
        Ok(p) => panic!("parsed: {}", dump::program(&p)),
        Err(d) => render_all(&d, &map),
    }
}

/// Snapshot text: the program, then its errors.
fn report(src: &str) -> String {
    format!("{src}\n---\n{}", errors(src))
}

// ------------------------------------------------------------ the corpus

fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/corpus exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rlq"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("readable program"))
        })
        .collect()
}

#[test]
fn every_corpus_program_parses() {
    for (name, src) in corpus() {
        insta::assert_snapshot!(format!("corpus-{name}"), ast(&src));
    }
}

// ---------------------------------------------------------------- shapes

#[test]
fn pipes_desugar_to_calls() {
    assert_eq!(ast("x | f(a, k=v)"), "(call| f x a k=v)");
    assert_eq!(ast("x | f"), "(call| f x)");
    assert_eq!(ast("x | (y => y + 1)"), "(call| (=> (y) (+ y 1)) x)");
    assert_eq!(ast("x | s.f(a)"), "(method s f x a)");
    assert_eq!(ast("x | f | g(1)"), "(call| g (call| f x) 1)");
}

#[test]
fn pipes_bind_between_comparison_and_sum() {
    assert_eq!(ast("xs | len > 3"), "(cmp (call| len xs) > 3)");
    assert_eq!(ast("a + b | f"), "(call| f (+ a b))");
    assert_eq!(ast("g = x => a | f"), "(let g (=> (x) (call| f a)))");
}

#[test]
fn pipelines_may_start_lines_with_a_pipe() {
    let src = "let names = replies\n  | filter(r => not is_error(r))\n\n  | flatten\n  | sort\nprint(names)";
    assert_eq!(
        ast(src),
        "(let names (call| sort (call| flatten (call| filter replies (=> (r) (not (call is_error r)))))))\n(call print names)"
    );
}

#[test]
fn lines_starting_with_a_binary_operator_continue() {
    assert_eq!(
        ast("ok = a\n  and b\n  or c\nv = x\n  ?? d"),
        "(let ok (or (and a b) c))\n(let v (?? x d))"
    );
    assert_eq!(ast("n = xs\n  .count(1)"), "(let n (method xs count 1))");
    assert_eq!(ast("a = 1\n-2"), "(let a 1)\n-2");
}

#[test]
fn lambda_bodies_end_at_commas() {
    assert_eq!(
        ast("sort(xs, key=x => x.n, reverse=true)"),
        "(call sort xs key=(=> (x) (. x n)) reverse=true)"
    );
    assert_eq!(
        ast("map(xs, (a, b) => a + b)"),
        "(call map xs (=> (a b) (+ a b)))"
    );
    assert_eq!(ast("f = () => 1"), "(let f (=> () 1))");
    assert_eq!(ast("f = ([a, b], c) => a"), "(let f (=> ([a b] c) a))");
    assert_eq!(ast("f = x => y => x"), "(let f (=> (x) (=> (y) x)))");
    assert_eq!(
        ast("f = x => a if x else b"),
        "(let f (=> (x) (cond x a b)))"
    );
}

#[test]
fn precedence_loosest_first() {
    assert_eq!(ast("a ?? b or c"), "(?? a (or b c))");
    assert_eq!(ast("a if c else b ?? d"), "(cond c a (?? b d))");
    assert_eq!(ast("x ?? d if c else e"), "(cond c (?? x d) e)");
    assert_eq!(ast("a or b and c"), "(or a (and b c))");
    assert_eq!(ast("not a == b"), "(not (cmp a == b))");
    assert_eq!(ast("not a and b"), "(and (not a) b)");
    assert_eq!(ast("a + b * c - d"), "(- (+ a (* b c)) d)");
    assert_eq!(ast("a // b % c / d"), "(/ (% (// a b) c) d)");
    assert_eq!(ast("-2 ** 2"), "(- (** 2 2))");
    assert_eq!(ast("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_eq!(ast("2 ** -1"), "(** 2 -1)");
    assert_eq!(ast("-x.y(1)[0]"), "(- (index (method x y 1) 0))");
    assert_eq!(ast("+x"), "x");
}

#[test]
fn comparisons_chain() {
    assert_eq!(ast("a < b <= c"), "(cmp a < b <= c)");
    assert_eq!(ast("x in xs"), "(cmp x in xs)");
    assert_eq!(ast("x not in xs"), "(cmp x not-in xs)");
    assert_eq!(ast("x is None"), "(cmp x == null)");
    assert_eq!(ast("x is not None"), "(cmp x != null)");
    assert_eq!(ast("a == b != c"), "(cmp a == b != c)");
}

#[test]
fn postfix_forms() {
    assert_eq!(ast("s.lower()"), "(method s lower)");
    assert_eq!(ast("\",\".join(xs)"), "(method \",\" join xs)");
    assert_eq!(ast("r.k"), "(. r k)");
    assert_eq!(ast("(r.f)(1)"), "(method r f 1)");
    assert_eq!(ast("f(a)(b)"), "(call (call f a) b)");
    assert_eq!(ast("xs[-1]"), "(index xs -1)");
    assert_eq!(ast("xs[:]"), "(slice xs _ _ _)");
    assert_eq!(ast("xs[a:]"), "(slice xs a _ _)");
    assert_eq!(ast("xs[::2]"), "(slice xs _ _ 2)");
    assert_eq!(ast("xs[a:b:c]"), "(slice xs a b c)");
    assert_eq!(ast("xs[i - 1:i + 1]"), "(slice xs (- i 1) (+ i 1) _)");
}

#[test]
fn literals() {
    assert_eq!(ast("[1_000, 1.5, 1e3, -7]"), "[1000 1.5 1000.0 -7]");
    assert_eq!(
        ast("[true, True, false, False, null, None]"),
        "[true true false false null null]"
    );
    assert_eq!(
        ast(r#"["a\n\t\"\\", 'it\'s', "\u{263A}\u00e9\x41"]"#),
        r#"["a\n\t\"\\" "it's" "☺éA"]"#
    );
    assert_eq!(
        ast(r#"[r"\d+", re"\d+", re'x', re"""a"b"""]"#),
        r#"["\\d+" re"\\d+" re"x" re"a\"b"]"#
    );
    assert_eq!(ast("'''one\ntwo'''"), "\"one\\ntwo\"");
    assert_eq!(ast("(\"ab\"\n \"cd\")"), "\"abcd\"");
    assert_eq!(ast("\"\""), "\"\"");
}

#[test]
fn names_that_are_not_keywords() {
    assert_eq!(
        ast("final(print(map, re))"),
        "(call final (call print map re))"
    );
}

#[test]
fn tuples_are_lists() {
    assert_eq!(ast("(a, b)"), "[a b]");
    assert_eq!(ast("(a,)"), "[a]");
    assert_eq!(ast("(a)"), "a");
    assert_eq!(ast("[]"), "[]");
    assert_eq!(ast("[1, 2,]"), "[1 2]");
}

#[test]
fn records_and_their_keys() {
    assert_eq!(ast("r = {}"), "(let r {})");
    assert_eq!(
        ast("r = {name: 1, \"any key\": 2, 'k': 3, [k]: 4, 5: 6,}"),
        "(let r {\"name\": 1, \"any key\": 2, \"k\": 3, [k]: 4, [5]: 6})"
    );
    assert_eq!(
        ast("r = {\n  a: 1,\n\n  b: [\n    2,\n  ],\n}"),
        "(let r {\"a\": 1, \"b\": [2]})"
    );
}

#[test]
fn comprehensions() {
    assert_eq!(
        ast("[f(x) for x in xs if c]"),
        "(listcomp (call f x) (for x xs) (if c))"
    );
    assert_eq!(
        ast("[i for i, x in enumerate(xs) if x]"),
        "(listcomp i (for [i x] (call enumerate xs)) (if x))"
    );
    assert_eq!(
        ast("[x + y for x in xs if x for [y, z] in ys if y > z]"),
        "(listcomp (+ x y) (for x xs) (if x) (for [y z] ys) (if (cmp y > z)))"
    );
    assert_eq!(
        ast("{k: v for k, v in items(r) if c}"),
        "(recordcomp k v (for [k v] (call items r)) (if c))"
    );
    assert_eq!(ast("{[k]: 1 for k in ks}"), "(recordcomp k 1 (for k ks))");
    assert_eq!(
        ast("[a if c else b for a in xs]"),
        "(listcomp (cond c a b) (for a xs))"
    );
}

#[test]
fn bindings_and_updates() {
    assert_eq!(ast("let x = 1"), "(let x 1)");
    assert_eq!(ast("x = 1"), "(let x 1)");
    assert_eq!(ast("let [a, b] = pair"), "(let [a b] pair)");
    assert_eq!(ast("let a, b = pair"), "(let [a b] pair)");
    assert_eq!(ast("a, b = b, a"), "(let [a b] [b a])");
    assert_eq!(ast("(a, [b, c]) = t"), "(let [a [b c]] t)");
    assert_eq!(ast("xs[i] = e"), "(set xs[i] e)");
    assert_eq!(ast("r.k = e"), "(set r.k e)");
    assert_eq!(ast("r[k][j].f = e"), "(set r[k][j].f e)");
    assert_eq!(ast("x += 1"), "(aug+ x 1)");
    assert_eq!(ast("r.n *= 2"), "(aug* r.n 2)");
    assert_eq!(
        ast("xs[0] //= 2; y %= 3; z -= 1; w /= 2"),
        "(aug// xs[0] 2)\n(aug% y 3)\n(aug- z 1)\n(aug/ w 2)"
    );
}

#[test]
fn statements() {
    assert_eq!(
        ast("for i, x in enumerate(xs) {\n  if x { break }\n  continue\n}"),
        "(for [i x] (call enumerate xs) {(if (x {break})); continue})"
    );
    assert_eq!(
        ast("while n > 0 { n -= 1 }"),
        "(while (cmp n > 0) {(aug- n 1)})"
    );
    assert_eq!(
        ast("def f(a, b=1,) {\n  def g(x) { return }\n  return a + b\n}"),
        "(def f (a b=1) {(def g (x) {(return)}); (return (+ a b))})"
    );
    assert_eq!(
        ast("def f() { return 1, 2 }"),
        "(def f () {(return [1 2])})"
    );
    assert_eq!(ast("xs.append(1)"), "(method xs append 1)");
    assert_eq!(ast("a; b;\n;c"), "a\nb\nc");
}

#[test]
fn if_elif_else_across_lines() {
    let src = "if a {\n  x\n}\nelif b {\n  y\n}\n\nelse {\n  z\n}\nw";
    assert_eq!(ast(src), "(if (a {x}) (b {y}) (else {z}))\nw");
    assert_eq!(ast("if a { x } else if b { y }"), "(if (a {x}) (b {y}))");
    assert_eq!(ast("if a {\n} else {\n}"), "(if (a {}) (else {}))");
}

#[test]
fn a_brace_may_open_a_block_on_the_next_line() {
    assert_eq!(
        ast("if x\n{\n  y = 1\n}\nelse\n{\n}"),
        "(if (x {(let y 1)}) (else {}))"
    );
    assert_eq!(
        ast("def f(a)\n{\n  return a\n}"),
        "(def f (a) {(return a)})"
    );
    assert_eq!(ast("x = 1\n{a: 1}"), "(let x 1)\n{\"a\": 1}");
}

#[test]
fn braces_after_values_open_blocks() {
    assert_eq!(
        ast("if x == {} { y = {} }"),
        "(if ((cmp x == {}) {(let y {})}))"
    );
    assert_eq!(ast("if f(x) { }"), "(if ((call f x) {}))");
    assert_eq!(ast("for k in {a: 1} { }"), "(for k {\"a\": 1} {})");
    assert_eq!(ast("y = x if c else {}"), "(let y (cond c x {}))");
    assert_eq!(ast("f = m => {u: m}"), "(let f (=> (m) {\"u\": m}))");
    assert_eq!(ast("def f() { return {} }"), "(def f () {(return {})})");
}

#[test]
fn newlines_continue_after_operators_and_inside_brackets() {
    assert_eq!(
        ast("x = a +\n  b\ny = f(\n  1,\n  2,\n)"),
        "(let x (+ a b))\n(let y (call f 1 2))"
    );
    assert_eq!(ast("ok = a and\n  b"), "(let ok (and a b))");
    assert_eq!(ast("f = x =>\n  x"), "(let f (=> (x) x))");
    assert_eq!(ast("x = 1 \\\n  + 2"), "(let x (+ 1 2))");
}

#[test]
fn comments_and_blank_lines() {
    assert_eq!(
        ast("# only a comment\n\n\nx = 1 # note\n\n# end"),
        "(let x 1)"
    );
    assert_eq!(ast(""), "");
}

#[test]
fn fstrings() {
    assert_eq!(
        ast(r#"f"{len(ps)} pairs""#),
        r#"(f {(call len ps)} " pairs")"#
    );
    assert_eq!(
        ast(r#"f"{x.header}\n{s ?? '(summary failed)'}""#),
        r#"(f {(. x header)} "\n" {(?? s "(summary failed)")})"#
    );
    assert_eq!(ast(r#"f'{d["k"]}'"#), r#"(f {(index d "k")})"#);
    assert_eq!(
        ast(r#"f"{x:.2f}|{y:>8}|{n:,}""#),
        r#"(f {x:.2f} "|" {y:>8} "|" {n:,})"#
    );
    assert_eq!(
        ast(r#"f"{xs[1:2]} {{literal}} {r['a:b']}""#),
        r#"(f {(slice xs 1 2 _)} " {literal} " {(index r "a:b")})"#
    );
    assert_eq!(
        ast("f\"\"\"Q: {q}\n{{\"3\": 7}}\"\"\""),
        r#"(f "Q: " {q} "\n{\"3\": 7}")"#
    );
    assert_eq!(
        ast(r#"f"{ {a: 1}['a'] }""#),
        r#"(f {(index {"a": 1} "a")})"#
    );
    assert_eq!(ast(r#"f"plain""#), r#"(f "plain")"#);
    assert_eq!(ast(r#""a" f"{b}""#), r#"(f "a" {b})"#);
}

#[test]
fn fstring_spans_point_into_the_file() {
    let src = "let m = f\"n={len(xs) + 1}\"";
    let (map, id) = sources(src);
    let program = parse(&map, id).expect("parses");
    let rlmq::syntax::ast::StmtKind::Let { value, .. } = &program.stmts[0].kind else {
        panic!("a let");
    };
    let rlmq::syntax::ast::ExprKind::FString(parts) = &value.kind else {
        panic!("an f-string");
    };
    let rlmq::syntax::ast::FStringPart::Expr { expr, .. } = &parts[1] else {
        panic!("a field");
    };
    assert_eq!(map.snippet(expr.span), "len(xs) + 1");
}

#[test]
fn spans_cover_their_nodes() {
    let src = "let n = len(context)\nxs | f(1)";
    let (map, id) = sources(src);
    let program = parse(&map, id).expect("parses");
    assert_eq!(map.snippet(program.stmts[0].span), "let n = len(context)");
    assert_eq!(map.snippet(program.stmts[1].span), "xs | f(1)");
}

// ---------------------------------------------------------------- errors

macro_rules! error_snapshots {
    ($($name:ident: $src:expr,)*) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(report($src));
            }
        )*
    };
}

error_snapshots! {
    python_if_colon: "n = 5\nif n > 3:\n    print(\"big\")\nprint(n)\n",
    python_for_colon: "for x in xs:\n    print(x)\n",
    python_while_colon: "while n > 0:\n    n -= 1\n",
    python_def_colon: "def f(x):\n    return x + 1\nprint(f(1))\n",
    python_elif_else_colon: "if a {\n  x = 1\n} elif b:\n    x = 2\nelse:\n    x = 3\n",
    python_lambda: "ys = map(xs, lambda x: x * 2)\nzs = sort(ys, key=lambda a, b: a)\n",
    python_import: "import re\nfrom collections import Counter\nprint(1)\n",
    python_class: "class Item:\n    pass\n",
    python_with: "with open(\"f.txt\") as f:\n    data = f.read()\n",
    python_try_except: "try:\n    r = llm(p, t)\nexcept Exception as e:\n    r = None\n",
    python_raise: "raise ValueError(\"no data\")\n",
    python_yield: "def gen(xs) {\n  for x in xs { yield x }\n}\n",
    python_async_await: "async def go() {\n  return 1\n}\nr = await llm(p, t)\n",
    python_global_nonlocal: "def bump() {\n  global count\n  nonlocal total\n}\n",
    python_del: "del xs[0]\n",
    python_pass: "if x {\n  pass\n}\n",
    logical_operators_of_other_languages: "ok = a && b || !c\n",
    increment: "i++\nj--\n",
    triple_equals: "if a === b { x = 1 }\nif a !== b { x = 2 }\n",
    not_after_comparison: "ok = a == not b\n",
    not_after_value: "if x not None { print(x) }\n",
    missing_closing_brace: "for x in xs {\n  print(x)\n",
    missing_inner_closing_brace: "def f(x) {\n  if x {\n    return 1\n\n  return 2\n}\nprint(f(1))\n",
    unterminated_string: "let s = \"abc\nprint(s)\n",
    unterminated_triple_string: "let p = '''Classify\nthe text\n",
    unexpected_token_in_call: "print(a b)\n",
    two_values_in_a_row: "x = 1 2\n",
    program_ends_early: "let x =\n",
    continued_line: "let x = 1 +\nlet y = 2\n",
    assignment_in_condition: "if x = 1 { print(x) }\n",
    unclosed_paren_before_statement: "print(len(xs)\nlet y = 2\nprint(y)\n",
    mismatched_bracket: "z = f(a]\n",
    stray_closing_brace: "x = 1\n}\n",
    empty_parens: "e = ()\n",
    no_brace_after_header: "while x\n  y = 1\n",
    bad_escape: "hits = grep(context, \"\\d+\")\n",
    fstring_mistakes: "q = f\"{x!r} {} }\"\n",
    fstring_expression_error: "q = f\"total: {a +}\"\n",
    let_on_a_place: "let xs[0] = 1\n",
    assign_to_call: "f(x) = 3\n",
    positional_after_keyword: "g(k=1, 2)\n",
    default_before_plain_parameter: "def h(a=1, b) { return a }\n",
    python_set: "s = {1, 2}\n",
    unpacking: "r = {**a, **b}\nl = [*xs, 1]\n",
    type_annotation: "def g(x: int) { return x }\n",
    print_statement: "print \"hello\"\n",
    slash_comment: "// note\nx = 1\n// another note\ny = 2\n",
    bad_lambda_parameters: "f = (a + 1) => a\n",
    unexpected_character: "x = $y\ny = “quoted”\n",
    two_separate_mistakes: "let total = 0\nfor x in xs {\n  total += x\n}\nif total > 10:\n    print(\"big\")\nlet avg = total / len(xs\nprint(avg)\nfinal(avg)\n",
}

// ------------------------------------------------------------ robustness

fn parse_quietly(src: &str) {
    let (map, id) = sources(src);
    if let Err(diags) = parse(&map, id) {
        assert!(!diags.is_empty());
        let _ = render_all(&diags, &map);
    }
}

#[test]
fn truncated_programs_never_panic() {
    for (_, src) in corpus() {
        let cuts: Vec<usize> = (0..=src.len())
            .filter(|&i| src.is_char_boundary(i))
            .collect();
        for &cut in cuts.iter().step_by(7) {
            parse_quietly(&src[..cut]);
            parse_quietly(&src[cut..]);
        }
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "==", "=>", "|", "||", "??", "+",
        "-", "*", "**", "/", "//", "%", "!", "&&", "++", "<", ">=", "\n", "\n    ", " ", "#c\n",
        "\"", "'", "\"\"\"", "'''", "f\"{", "}\"", "re\"", "r'", "\\", "x", "xs", "1", "2.5", "1e",
        "let", "def", "if", "elif", "else", "for", "in", "while", "return", "not", "is", "and",
        "or", "True", "None", "lambda", "import", "pass", "try", "é", "\u{201c}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = rng.below(40);
        let src: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        parse_quietly(&src);
    }
    for _ in 0..500 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        parse_quietly(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
    parse_quietly(&deep);
    let long = format!("x = 1{}", " + 1".repeat(20000));
    parse_quietly(&long);
    let nots = format!("x = {}y", "not ".repeat(20000));
    parse_quietly(&nots);
    let calls = format!("x = f{}", "()".repeat(20000));
    parse_quietly(&calls);
}

#[test]
fn the_c_conditional_nests_to_the_right() {
    assert_eq!(ast("c ? a : b"), "(cond c a b)");
    assert_eq!(ast("a ? b : c ? d : e"), "(cond a b (cond c d e))");
    assert_eq!(ast("a ? b ? c : d : e"), "(cond a (cond b c d) e)");
    assert_eq!(ast("x ?? d ? a : b"), "(cond (?? x d) a b)");
    assert_eq!(
        ast("n > 1 ? \"big\" : \"small\""),
        "(cond (cmp n > 1) \"big\" \"small\")"
    );
    assert_eq!(ast("is_error(r) ? [] : r"), "(cond (call is_error r) [] r)");
    assert_eq!(
        ast("xs | len > 3 ? 1 : 2"),
        "(cond (cmp (call| len xs) > 3) 1 2)"
    );
    assert_eq!(ast("f = x => x ? 1 : 2"), ast("f = x => (x ? 1 : 2)"));
    assert_eq!(ast("r = {k: c ? 1 : 2}"), ast("r = {k: (c ? 1 : 2)}"));
    assert_eq!(ast("y = xs[c ? 0 : 1]"), ast("y = xs[(c ? 0 : 1)]"));
    assert_eq!(ast("y = c\n  ? a\n  : b"), ast("y = c ? a : b"));
    assert_eq!(ast("if c ? a : b { x }"), ast("if (c ? a : b) { x }"));
}

#[test]
fn generator_arguments_are_list_comprehensions() {
    assert_eq!(
        ast("sum(x.n for x in xs)"),
        "(call sum (listcomp (. x n) (for x xs)))"
    );
    assert_eq!(
        ast("any(p in line for p in pats)"),
        "(call any (listcomp (cmp p in line) (for p pats)))"
    );
    assert_eq!(
        ast("\",\".join(w for w in ws if w)"),
        ast("\",\".join([w for w in ws if w])")
    );
    assert_eq!(ast("f((x for x in xs), 1)"), ast("f([x for x in xs], 1)"));
}
