#[test]
fn scratch() {
    let src = std::fs::read_to_string("/tmp/scratch/in.rlq").unwrap();
    let mut sm = crate::syntax::span::SourceMap::new();
    let f = sm.add("in.rlq", src);
    match crate::syntax::parse(&sm, f) {
        Ok(p) => println!("{}", crate::syntax::dump::program(&p)),
        Err(d) => println!("{}", crate::diag::render_all(&d, &sm)),
    }
}
