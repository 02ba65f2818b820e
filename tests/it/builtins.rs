//! Each builtin, one row per behaviour: the code, and what it prints (or
//! the start of the error it must give).

use super::common::eval;

fn check(rows: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (code, want) in rows {
        let got = match eval(&format!("print({code})")) {
            Ok(s) => s.trim_end_matches('\n').to_string(),
            Err(e) => format!("ERROR {}", e.lines().next().unwrap_or("")),
        };
        let ok = if let Some(prefix) = want.strip_prefix("ERROR ") {
            got.starts_with("ERROR ") && got.contains(prefix)
        } else {
            got == *want
        };
        if !ok {
            failures.push(format!("{code}\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_builtins() {
    check(&[
        // Indexing by character: ASCII by byte, the rest counted.
        ("\"héllo\"[1]", "é"),
        ("\"héllo\"[-1]", "o"),
        ("\"hello\"[-5]", "h"),
        (
            "\"abc\"[3]",
            "ERROR index 3 is out of range for a string of 3 characters",
        ),
        (
            "\"héllo\"[-6]",
            "ERROR index -6 is out of range for a string of 5 characters",
        ),
        ("join([\"ab\"] * 3000, \"\")[5999]", "b"),
        ("len(\"héllo\")", "5"),
        ("len([1, 2])", "2"),
        ("len({a: 1})", "1"),
        ("lines(\"a\\nb\\n\")", "[\"a\",\"b\"]"),
        ("lines(\"\")", "[]"),
        ("lines(\"\\n\")", "[\"\"]"),
        ("lines(\"a\\r\\nb\")", "[\"a\",\"b\"]"),
        ("len(lines(context))", "165"),
        ("lines(context)[0]", "# Harbor operations log"),
        (
            "lines(context)[-1]",
            "Le café était fermé; a naïve visitor from 日本 waited by the harbor.",
        ),
        ("slice(\"abcdef\", 1, 3)", "bc"),
        ("slice([1, 2, 3], -2)", "[2,3]"),
        ("head(\"abcdef\", 2)", "ab"),
        ("head([1, 2, 3], 2)", "[1,2]"),
        ("tail(\"abcdef\", 2)", "ef"),
        ("tail([1, 2, 3], 1)", "[3]"),
        ("len(head(context))", "2000"),
        ("lower(\"ÀB\")", "àb"),
        ("upper(\"straße\")", "STRASSE"),
        ("trim(\"  x \\n\")", "x"),
        ("trim(\"xxaxx\", \"x\")", "a"),
        ("ltrim(\"  x \")", "x "),
        ("rtrim(\"  x \")", "  x"),
        ("split(\"a,b,,c\", \",\")", "[\"a\",\"b\",\"\",\"c\"]"),
        ("split(\" a  b \")", "[\"a\",\"b\"]"),
        ("split(\"a,b,c\", \",\", max=1)", "[\"a\",\"b,c\"]"),
        ("join([\"a\", 1, null], \"-\")", "a-1-null"),
        ("join(\"-\", [\"a\", \"b\"])", "a-b"),
        ("contains(\"harbor\", \"arb\")", "true"),
        ("contains([1, 2], 2)", "true"),
        ("contains({a: 1}, \"a\")", "true"),
        ("starts_with(\"harbor\", \"ha\")", "true"),
        ("starts_with(\"harbor\", [\"x\", \"h\"])", "true"),
        ("ends_with(\"harbor\", \"or\")", "true"),
        ("index_of(\"日本語\", \"語\")", "2"),
        ("index_of(\"abc\", \"z\")", "-1"),
        ("index_of([1, 2, 3], 3)", "2"),
        ("words(\"a  b\\nc\")", "[\"a\",\"b\",\"c\"]"),
        ("\"a\".strip()", "a"),
        ("\"ab\".startswith(\"a\")", "true"),
    ]);
}

/// `x.f(a)`: a builtin read in place or bound from vectors (a keyword), a
/// record's function field, a `def`, a variable hiding the builtin, and
/// Python's spellings.
#[test]
fn method_calls() {
    check(&[
        ("\"a,b\".split(\",\")", "[\"a\",\"b\"]"),
        ("\"a,b,c\".split(\",\", 1)", "[\"a\",\"b,c\"]"),
        ("\"a,b,c\".split(\",\", max=1)", "[\"a\",\"b,c\"]"),
        ("\"a-b-c\".replace(\"-\", \"+\")", "a+b+c"),
        ("\"abc\".upper().lower()", "abc"),
        ("[3, 1, 2].sort()", "[1,2,3]"),
        ("\",\".join([\"a\", \"b\"])", "a,b"),
        ("[\"a\", \"b\"].join(\"-\")", "a-b"),
        ("{f: x => x + 1}.f(1)", "2"),
        (
            "\"x\".split(1)",
            "ERROR split: `sep` must be a str, got int",
        ),
        ("\"abc\".nosuch()", "ERROR no method `nosuch` on str"),
        (
            "\"abc\".find(\"b\")",
            "ERROR `s.find(x)` is Python's index search",
        ),
    ]);
    let out = eval("def twice(x) { return x * 2 }\nlet len = s => 42\nprint((4).twice(), \"abc\".len(), len(\"abc\"))")
        .expect("runs");
    assert_eq!(out.trim_end(), "8 42 42");
}

#[test]
fn search_builtins() {
    check(&[
        ("count(context, \"ERROR\")", "10"),
        ("count(context, \"error\", ignore_case=true)", "10"),
        ("count(context, [\"ERROR\", \"WARN\"])", "22"),
        ("count(context, re\"^## \")", "7"),
        ("count([1, 2, 1], 1)", "2"),
        ("count(\"aaaa\", \"aa\")", "2"),
        ("len(grep(context, \"ERROR\", max=3))", "3"),
        (
            "grep(\"a1b22\", re\"\\d+\") | map(m => m.text)",
            "[\"1\",\"22\"]",
        ),
        ("grep(\"x\\ny\\nz\", \"y\", around=1)[0].around", "x\ny\nz"),
        ("grep(\"é=1\", re\"(\\w)=(\\d)\")[0].start", "0"),
        ("grep(\"aé=1\", re\"=\")[0].start", "2"),
        ("grep(\"ab\", re\"(x)?b\")[0].groups", "[null]"),
        ("find(context, \"magic\").line", "109"),
        ("find(context, \"zzz\")", "null"),
        ("findall(\"a1b2\", re\"\\d\")", "[\"1\",\"2\"]"),
        ("findall(\"a1b2\", re\"([a-z])\\d\")", "[\"a\",\"b\"]"),
        ("matches(\"abc\", re\"b\")", "true"),
        ("matches(\"abc\", \"B\", ignore_case=true)", "true"),
        ("type(regex(\"a+\"))", "regex"),
        ("count(\"a.b\", regex(escape(\".\")))", "1"),
        ("replace(\"a-b-c\", \"-\", \"+\")", "a+b+c"),
        ("replace(\"a1b22\", re\"(\\d+)\", \"<$1>\")", "a<1>b<22>"),
        ("replace(\"aaa\", \"a\", \"b\", max=2)", "bba"),
        ("grep(\"abc\", re\"(?<=a)b\")", "ERROR look"),
        ("count(\"abc\", re\"(\")", "ERROR "),
        ("find(context, \"magic\").doc", "examples/sample.txt"),
    ]);
}

#[test]
fn partition_builtins() {
    check(&[
        (
            "partition(\"a\\n## x\\nb\\n## y\\n\", by=re\"^## \")",
            "[\"a\\n\",\"## x\\nb\\n\",\"## y\\n\"]",
        ),
        ("partition(\"## x\\n\", by=re\"^## \")", "[\"## x\\n\"]"),
        (
            "partition(\"ab\\ncd\\nef\\n\", size=6)",
            "[\"ab\\ncd\\n\",\"ef\\n\"]",
        ),
        (
            "partition(\"abcdefgh\", size=3)",
            "[\"abc\",\"def\",\"gh\"]",
        ),
        (
            "partition(\"a\\nb\\nc\\nd\\n\", n=2)",
            "[\"a\\nb\\n\",\"c\\nd\\n\"]",
        ),
        ("partition(\"a\\n\", n=5)", "[\"a\\n\"]"),
        ("partition([1, 2, 3], n=2)", "[[1],[2,3]]"),
        ("partition([1, 2, 3], size=2)", "[[1,2],[3]]"),
        (
            "partition([\"ab\", \"cd\", \"efgh\"], chars=4)",
            "[[\"ab\",\"cd\"],[\"efgh\"]]",
        ),
        ("partition(\"abc\", size=0)", "ERROR size=0"),
        ("partition(\"abc\")", "ERROR exactly one"),
        ("offset(partition(context, by=re\"^## \")[1])", "165"),
        ("offset(\"computed\")", "null"),
        ("doc_of(context[10:20])", "examples/sample.txt"),
    ]);
}

#[test]
fn collection_builtins() {
    check(&[
        ("take([1, 2, 3], 2)", "[1,2]"),
        ("skip([1, 2, 3], 2)", "[3]"),
        ("zip([1, 2, 3], [\"a\", \"b\"])", "[[1,\"a\"],[2,\"b\"]]"),
        ("enumerate([\"a\"], start=1)", "[[1,\"a\"]]"),
        ("flatten([[1], [2, [3]], 4])", "[1,2,[3],4]"),
        ("pairs([1, 2, 3])", "[[1,2],[1,3],[2,3]]"),
        ("unique([1, 1.0, \"1\", 2, 1])", "[1,\"1\",2]"),
        ("unique([3, -1, 3, 0, -1, 7])", "[3,-1,0,7]"),
        (
            "unique([\"b\", \"a\", \"b\", \"\", \"a\"])",
            "[\"b\",\"a\",\"\"]",
        ),
        (
            "unique(lines(\"x\\ny\\nx\")) + unique([\"y\", \"x\"])",
            "[\"x\",\"y\",\"y\",\"x\"]",
        ),
        ("reverse([1, 2])", "[2,1]"),
        ("range(3)", "[0,1,2]"),
        ("range(5, 0, -2)", "[5,3,1]"),
        ("sum([1, 2.5])", "3.5"),
        ("keys({b: 1, a: 2})", "[\"b\",\"a\"]"),
        ("values({b: 1, a: 2})", "[1,2]"),
        ("items({a: 1})", "[[\"a\",1]]"),
        ("get({a: 1}, \"b\", 0)", "0"),
        ("get([1, 2], -1)", "2"),
        ("record([[\"a\", 1], [2, \"b\"]])", "{\"a\":1,\"2\":\"b\"}"),
        ("merge({a: 1, b: 1}, {b: 2})", "{\"a\":1,\"b\":2}"),
        ("list(\"ab\")", "[\"a\",\"b\"]"),
        ("dict([[\"k\", 1]])", "{\"k\":1}"),
    ]);
}

#[test]
fn function_builtins() {
    check(&[
        ("map([1, 2], x => x * 10)", "[10,20]"),
        ("filter([1, 2, 3], x => x % 2 == 1)", "[1,3]"),
        ("sort([3, 1, 2])", "[1,2,3]"),
        ("sort([\"b\", \"a\"], reverse=true)", "[\"b\",\"a\"]"),
        // Strings sharing a prefix, one of them the prefix itself.
        (
            "sort([\"Date: 9\", \"Date: 10\", \"Date: \", \"Date: 10\", \"Date: 1\"])",
            "[\"Date: \",\"Date: 1\",\"Date: 10\",\"Date: 10\",\"Date: 9\"]",
        ),
        (
            "sort([\"xb\", \"xa2\", \"x\", \"xa1\"], key=s => s[:2]) | join(\",\")",
            "x,xa2,xa1,xb",
        ),
        (
            "sort([[2, \"a\"], [1, \"b\"]], key=p => p[0])",
            "[[1,\"b\"],[2,\"a\"]]",
        ),
        (
            "sort([{n: 1, i: 0}, {n: 0, i: 1}, {n: 1, i: 2}], key=r => r.n) | map(r => r.i)",
            "[1,0,2]",
        ),
        ("sort([1, \"a\"])", "ERROR cannot order"),
        (
            "group_by([1, 2, 3, 4], x => x % 2)",
            "{\"1\":[1,3],\"0\":[2,4]}",
        ),
        (
            "count_by([\"a\", \"b\", \"a\"], x => x)",
            "{\"a\":2,\"b\":1}",
        ),
        (
            "count_by(range(200000), x => x % 3)",
            "{\"0\":66667,\"1\":66667,\"2\":66666}",
        ),
        (
            "count_by([1, 2, 3], x => [x])",
            "ERROR count_by: the key function returned list, which cannot be a record key",
        ),
        (
            "group_by([1, 2], x => null)",
            "ERROR group_by: the key function returned null",
        ),
        ("first([1, 2, 3], x => x > 1)", "2"),
        ("first([1, 2, 3], x => x > 5)", "null"),
        ("reduce([1, 2, 3], (a, b) => a + b, 10)", "16"),
        ("min([3, 1, 2])", "1"),
        ("max(3, 9, 2)", "9"),
        ("max([{n: 1, i: 0}, {n: 1, i: 1}], key=r => r.n).i", "0"),
        ("min([])", "ERROR empty"),
        ("any([0, 1])", "true"),
        ("all([1, 0])", "false"),
        ("all([1, 2], x => x > 0)", "true"),
        ("map([[1, 2], [3, 4]], (a, b) => a + b)", "[3,7]"),
        // Python's `str.lower` names the builtin.
        (
            "sort([\"b\", \"A\", \"c\"], key=str.lower)",
            "[\"A\",\"b\",\"c\"]",
        ),
        ("map([\" a\", \"b \"], str.strip)", "[\"a\",\"b\"]"),
        ("str.title", "ERROR strings have no method `title`"),
        // Python's `key=d.get` names what to write instead.
        (
            "max({\"a\": 1, \"b\": 3}, key={\"a\": 1, \"b\": 3}.get)",
            "ERROR the record has no key `get`, and `r.get` without a call is no function",
        ),
        // A pure function's first items run on the calling thread, the
        // rest on all cores: the results keep their order, and the error
        // reported is the first in order, on either side of the hand-off.
        ("map(range(300000), x => x) == range(300000)", "true"),
        ("map(range(300000), x => x * 2) | sum", "89999700000"),
        (
            "map(range(300000), x => x > 3 ? x : int(\"y\" + str(x)))",
            "ERROR cannot convert \"y0\"",
        ),
        (
            "map(range(300000), x => x < 250000 ? x : int(\"x\" + str(x)))",
            "ERROR cannot convert \"x250000\"",
        ),
        ("sorted([2, 1])", "[1,2]"),
    ]);
}

#[test]
fn conversion_builtins() {
    check(&[
        ("int(\" 1_000 \")", "1000"),
        ("int(\"3.0\")", "3"),
        ("int(3.9)", "3"),
        ("int(\"x\")", "ERROR cannot convert"),
        ("float(\"2.5\")", "2.5"),
        ("float(2)", "2.0"),
        ("str(12)", "12"),
        ("str([1, \"a\"])", "[1,\"a\"]"),
        ("bool([])", "false"),
        ("json({a: [1, null]})", "{\"a\":[1,null]}"),
        (
            "parse_json(\"```json\\n{\\\"a\\\": [1, 2.5]}\\n```\")",
            "{\"a\":[1,2.5]}",
        ),
        ("parse_json(\"nope\")", "ERROR not valid JSON"),
        ("type(1.0)", "float"),
        ("type(find(context, \"a\"))", "match"),
        ("type(null)", "null"),
        ("is_error(1)", "false"),
        ("round(2.5)", "2"),
        ("round(3.5)", "4"),
        ("round(2.675, 2)", "2.67"),
        ("abs(-2.5)", "2.5"),
        ("pow(2, 3)", "8"),
        ("floor(-1.5)", "-2"),
        ("ceil(1.2)", "2"),
    ]);
}

#[test]
fn stdlib_helpers() {
    check(&[
        ("len(sections(context))", "8"),
        (
            "sections(\"# t\\n## A\\nx\\n## B\\ny\\n\") | map(s => s.title)",
            "[\"\",\"A\",\"B\"]",
        ),
        (
            "grep_around(\"a\\nb\\nc\", \"b\", n=1)",
            "[\"== line 2 ==\\na\\nb\\nc\"]",
        ),
        ("histogram([\"a\", \"b\", \"a\"])", "[[\"a\",2],[\"b\",1]]"),
        ("top([1, 5, 3], 2)", "[5,3]"),
        ("peek(\"abcdef\", 1)", "a\n[... 4 characters ...]\nf"),
    ]);
}

/// `split(s, sep)[k]` finds field `k` without building the list once the
/// call is known to be the builtin (from its second evaluation on): each
/// form must give what indexing the whole list gives, the same error when
/// the field is missing, and a variable called `split` must still win.
#[test]
fn split_then_index_gives_the_lists_item() {
    let texts = [
        "a || b || c",
        "||a||",
        "aaaa",
        "aaa",
        "",
        "日本 || 語 || ",
        "x",
        "a,b,,c",
    ];
    let seps = [" || ", "||", "aa", "x", ","];
    let forms = ["split(t, p)[K]", "t.split(p)[K]", "split(t, sep=p)[K]"];
    let mut checked = 0;
    for text in texts {
        for sep in seps {
            for k in 0..4 {
                for form in forms {
                    let take = form.replace('K', &k.to_string());
                    let code = format!(
                        "let t = {text:?}\nlet p = {sep:?}\nlet got = []\nfor r in range(3) {{ got.append({take}) }}\nprint(json(got))"
                    );
                    let whole = format!(
                        "let t = {text:?}\nlet p = {sep:?}\nlet parts = split(t, p)\nlet x = parts[{k}]\nprint(json([x, x, x]))"
                    );
                    match (eval(&code), eval(&whole)) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{code}"),
                        (Err(a), Err(b)) => {
                            let first = |e: &str| e.lines().next().unwrap_or("").to_string();
                            assert_eq!(first(&a), first(&b), "{code}");
                        }
                        (a, b) => panic!("{code}\n{a:?}\nagainst the list: {b:?}"),
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, texts.len() * seps.len() * 4 * forms.len());
    // A line with fewer fields after the shortcut was taken: the general
    // path's error.
    let short =
        "let got = []\nfor t in [\"a,b,c\", \"a,b,c\", \"a\"] { got.append(split(t, \",\")[2]) }";
    let err = eval(short).expect_err("the third line has no field 2");
    assert!(err.contains("out of range"), "{err}");
    let shadow = "let split = (t, p) => [\"mine\"]\nlet got = []\nfor r in range(3) { got.append(split(\"a,b\", \",\")[0]) }\nprint(json(got))";
    assert_eq!(
        eval(shadow).expect("runs"),
        "[\"mine\",\"mine\",\"mine\"]\n"
    );
}

/// Long lists are sorted on all cores: the order is still the one a sort
/// gives (ties in input order, also in reverse), and every item is kept
/// once. 40,000 items: above the length where the sort goes parallel.
#[test]
fn long_sorts_keep_order_and_ties() {
    let code = r#"
let n = 40000
let recs = [{k: (i * 7919) % 97, s: f"w{(i * 7919) % 1000}", i: i} for i in range(n)]
def ordered(xs, key, down) {
  return all([(key(xs[j]) > key(xs[j + 1]) if down else key(xs[j]) < key(xs[j + 1]))
              or (key(xs[j]) == key(xs[j + 1]) and xs[j].i < xs[j + 1].i)
              for j in range(len(xs) - 1)])
}
def whole(xs) { return len(xs) == n and len(unique([r.i for r in xs])) == n }
let by_int = sort(recs, key=r => r.k)
let by_str = sort(recs, key=r => r.s, reverse=true)
print(ordered(by_int, r => r.k, false), whole(by_int))
print(ordered(by_str, r => r.s, true), whole(by_str))
let strs = sort([r.s for r in recs])
let ints = sort([r.k for r in recs], reverse=true)
print(all([strs[j] <= strs[j + 1] for j in range(n - 1)]), len(strs), strs[0], strs[-1])
print(all([ints[j] >= ints[j + 1] for j in range(n - 1)]), len(ints), ints[0], ints[-1])
print(sum(ints) == sum([r.k for r in recs]), sum(map(strs, len)) == sum([len(r.s) for r in recs]))
"#;
    assert_eq!(
        eval(code).unwrap(),
        "true true\ntrue true\ntrue 40000 w0 w999\ntrue 40000 96 0\ntrue true\n"
    );
}
