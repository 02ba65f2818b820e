//! Loading the context from real files and folders.

use std::fs;
use std::path::{Path, PathBuf};

use rlmq::context::{Context, ContextInput, LoadOptions};

fn load(inputs: &[&Path], mmap: bool) -> Result<Context, String> {
    let inputs: Vec<ContextInput> = inputs
        .iter()
        .map(|p| ContextInput::Path(p.to_path_buf()))
        .collect();
    Context::load(
        &inputs,
        &LoadOptions {
            mmap,
            ..LoadOptions::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn text(ctx: &Context) -> String {
    String::from_utf8_lossy(ctx.source.bytes()).into_owned()
}

fn names(ctx: &Context) -> Vec<&str> {
    ctx.docs.iter().map(|d| &*d.name).collect()
}

fn doc_text(ctx: &Context, i: usize) -> &[u8] {
    &ctx.source.bytes()[ctx.docs[i].range.clone()]
}

#[test]
fn one_file_is_mapped_or_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.txt");
    fs::write(&p, "hello\nworld\n").unwrap();
    let mapped = load(&[&p], true).unwrap();
    assert!(mapped.source.is_mapped());
    assert_eq!(text(&mapped), "hello\nworld\n");
    assert_eq!(mapped.docs.len(), 1);
    assert_eq!(&*mapped.docs[0].name, p.to_string_lossy());
    assert_eq!(mapped.docs[0].range, 0..12);
    let read = load(&[&p], false).unwrap();
    assert!(!read.source.is_mapped());
    assert_eq!(text(&read), "hello\nworld\n");
}

#[test]
fn empty_and_invalid_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    let ctx = load(&[&empty], true).unwrap();
    assert!(ctx.source.is_empty());
    assert_eq!(ctx.source.line_count(ctx.range()), 0);
    assert_eq!(ctx.source.char_count(ctx.range()), 0);
    assert_eq!(ctx.docs.len(), 1);

    let bad = dir.path().join("bad.txt");
    fs::write(&bad, b"ok \xff\xfe\x80 caf\xc3\xa9\n\xc3").unwrap();
    let ctx = load(&[&bad], true).unwrap();
    let src = &ctx.source;
    // "ok " (3) + \xff \xfe (2; \x80 attaches) + " café" (5) + "\n" + \xc3 (1)
    assert_eq!(src.char_count(ctx.range()), 12);
    assert_eq!(src.line_count(ctx.range()), 2);
    assert_eq!(src.char_to_byte(ctx.range(), 5), 6);
}

#[test]
fn missing_file_is_a_clear_error() {
    let err = load(&[Path::new("no/such/file.txt")], true).unwrap_err();
    assert_eq!(
        err,
        "cannot read context file `no/such/file.txt`: No such file or directory"
    );
}

#[test]
fn folder_sorted_recursive_skipping_hidden_and_binary() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join("b.txt"), "bee").unwrap();
    fs::write(root.join("a.txt"), "ay").unwrap();
    fs::write(root.join("sub/c.md"), "sea\n").unwrap();
    fs::write(root.join("sub/deeper/d.txt"), "").unwrap();
    fs::write(root.join(".hidden"), "no").unwrap();
    fs::write(root.join(".git/config"), "no").unwrap();
    let mut binary = b"PNG".to_vec();
    binary.extend_from_slice(&[0, 1, 2, 3]);
    fs::write(root.join("image.png"), binary).unwrap();
    let ctx = load(&[root], true).unwrap();
    assert!(!ctx.source.is_mapped());
    assert_eq!(
        names(&ctx),
        ["a.txt", "b.txt", "sub/c.md", "sub/deeper/d.txt"]
    );
    assert_eq!(text(&ctx), "ay\n\nbee\n\nsea\n\n\n");
    assert_eq!(doc_text(&ctx, 2), b"sea\n");
    assert_eq!(doc_text(&ctx, 3), b"");
    let at = |b| ctx.doc_at(b).map(|d| &*d.name);
    assert_eq!(at(0), Some("a.txt"));
    assert_eq!(at(3), None);
    assert_eq!(at(4), Some("b.txt"));
}

#[test]
fn folder_without_readable_files_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(&[dir.path()], true).unwrap_err();
    assert!(err.starts_with("context folder `"), "{err}");
    assert!(err.ends_with("` holds no readable files"), "{err}");
    fs::write(dir.path().join("bin"), [0u8; 10]).unwrap();
    assert!(load(&[dir.path()], true).is_err());
}

#[test]
fn several_inputs_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("z.txt");
    let b = dir.path().join("y.txt");
    fs::write(&a, "first").unwrap();
    fs::write(&b, "second\n").unwrap();
    let ctx = load(&[&a, &b], true).unwrap();
    assert_eq!(text(&ctx), "first\n\nsecond\n");
    assert_eq!(names(&ctx), [a.to_string_lossy(), b.to_string_lossy()]);
    assert_eq!(doc_text(&ctx, 1), b"second\n");
}

#[test]
fn jsonl_documents() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("docs.jsonl");
    let lines = [
        r#"{"id": "d1", "text": "alpha"}"#,
        "",
        r#"{"title": "T", "content": "beta", "text": null}"#,
        r#"{"id": 7, "body": "gamma"}"#,
        r#"{"other": 1}"#,
        "  \r",
        r#"[1, 2]"#,
    ];
    fs::write(&p, format!("\u{feff}{}", lines.join("\r\n"))).unwrap();
    let ctx = load(&[&p], true).unwrap();
    assert_eq!(names(&ctx), ["d1", "T", "7", "line 5", "line 7"]);
    assert_eq!(doc_text(&ctx, 0), b"alpha");
    assert_eq!(doc_text(&ctx, 1), b"beta");
    assert_eq!(doc_text(&ctx, 2), b"gamma");
    assert_eq!(doc_text(&ctx, 3), br#"{"other": 1}"#);
    assert_eq!(doc_text(&ctx, 4), b"[1, 2]");
}

#[test]
fn jsonl_bad_line_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.jsonl");
    fs::write(&p, "{\"text\": \"ok\"}\n\n{\"text\": oops}\n").unwrap();
    let err = load(&[&p], true).unwrap_err();
    assert!(err.contains("bad.jsonl` line 3 is not valid JSON"), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn special_files_are_read() {
    let p = PathBuf::from("/proc/self/status");
    if p.exists() {
        let ctx = load(&[&p], true).unwrap();
        assert!(!ctx.source.is_mapped());
        assert!(!ctx.source.is_empty());
    }
}

#[test]
fn no_inputs_is_an_empty_context() {
    let ctx = Context::load(&[], &LoadOptions::default()).unwrap();
    assert!(ctx.source.is_empty());
    assert!(ctx.docs.is_empty());
    assert!(Context::empty().docs.is_empty());
}
