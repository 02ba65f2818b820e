//! Rendered errors, as snapshots: what a model reads when its program is
//! wrong must name the mistake, point at it, and say what to write instead.

use super::common::eval;

fn render(code: &str) -> String {
    match eval(code) {
        Ok(out) => panic!("expected an error from {code:?}, got output {out:?}"),
        Err(e) => e,
    }
}

macro_rules! error_snapshot {
    ($name:ident, $code:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render($code));
        }
    };
}

error_snapshot!(unknown_name_suggests_builtin, "let n = lenght(context)");
error_snapshot!(python_re_module, "let xs = re.findall(\"a\", context)");
error_snapshot!(python_str_find, "let i = context.find(\"magic\")");
error_snapshot!(
    missing_record_key,
    "let r = {user: 1, label: \"spam\"}\nprint(r.lable)"
);
error_snapshot!(index_out_of_range, "let xs = [1, 2]\nprint(xs[5])");
error_snapshot!(assign_an_input, "let context = lines(context)");
error_snapshot!(
    call_a_shadowed_builtin,
    "let count = 3\nprint(count(context, \"x\"))"
);
error_snapshot!(
    call_a_shadowed_builtin_in_a_def,
    "let lines = lines(context)\ndef f(t) { return lines(t) }"
);
error_snapshot!(
    call_a_shadowed_builtin_at_runtime,
    "let n = 0\nfor w in [\"a\", \"b\"] {\n  if n > 0 { print(count(w, \"a\")) }\n  let count = 1\n  n += 1\n}"
);
error_snapshot!(
    partition_with_a_positional_regex,
    "print(partition(context, re\"^## \"))"
);
error_snapshot!(max_of_a_number, "print(max(3))");
error_snapshot!(python_percent_format, "print(\"%d items\" % 3)");
error_snapshot!(python_str_index, "print(\"abc\".index(\"b\"))");
error_snapshot!(
    unknown_keyword_argument,
    "print(grep(context, \"x\", ignorecase=true))"
);
error_snapshot!(missing_argument, "print(grep(context))");
error_snapshot!(add_str_and_int, "print(\"total: \" + len(context))");
error_snapshot!(
    regex_look_behind,
    "print(grep(context, re\"(?<=User: )\\d+\"))"
);
error_snapshot!(return_outside_def, "return 3");
error_snapshot!(field_of_null, "print(find(context, \"zzz\").line)");
error_snapshot!(bad_format_spec, "print(f\"{3:q}\")");
error_snapshot!(call_a_number, "let f = 3\nprint(f(2))");
error_snapshot!(sort_mixed_kinds, "print(sort([1, \"a\"]))");
error_snapshot!(append_in_expression, "let xs = []\nlet ys = xs.append(1)");
error_snapshot!(global_in_def, "let n = 0\ndef bump() { global n }");
error_snapshot!(
    recursion_without_base_case,
    "def f(n) { return f(n + 1) }\nf(0)"
);
error_snapshot!(
    replace_with_a_bytes_regex,
    "print(replace(\"abc\", re\"(?-u:\\xFF)\", \"y\"))"
);
error_snapshot!(
    type_compared_with_a_builtin,
    "let v = 3\nif type(v) == int { print(\"int\") }"
);
error_snapshot!(function_compared_not_called, "print(len == 3)");
