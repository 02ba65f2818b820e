//! `rlmq repl`: a person explores the context in rlq, a line at a time,
//! with line editing and history (from the `rustyline` crate).
//!
//! Each entry runs as one turn of a [`Shell`], so variables persist. An
//! entry continues on the next line while a bracket, brace or triple-quoted
//! string is open, or while the line ends with an operator, `,`, `=` or
//! `=>`; an empty line runs what has been typed. Lines starting with `:`
//! are commands: `:vars`, `:history`, `:help`, `:quit`.
//!
//! Ctrl-C while an entry runs interrupts it like a limit: the entry stops
//! with an error, its `llm()` calls in flight are abandoned (and traced as
//! interrupted), and the prompt comes back with the variables and history
//! kept. A second Ctrl-C before the entry has stopped ends the REPL (exit
//! code 130). At the prompt, Ctrl-C clears the entry being typed.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use clap::Args;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use super::inputs::ShellArgs;

/// Arguments of `rlmq repl`.
#[derive(Args, Debug)]
pub struct ReplArgs {
    #[command(flatten)]
    shell: ShellArgs,
    /// Keep the history in this file (loaded at start, saved at exit).
    #[arg(long, value_name = "PATH")]
    history_file: Option<PathBuf>,
}

const HELP: &str = "Type rlq; each entry runs at once and variables persist. Examples:
  len(context)
  grep(context, \"ERROR\") | take(5) | map(m => m.line_text)
  let secs = partition(context, by=re\"^## \")
An entry continues while brackets are open or a line ends with an operator;
an empty line runs it. Ctrl-C stops a running entry and keeps the variables.
Commands: :vars  :history  :help  :quit (or Ctrl-D).";

/// Runs `rlmq repl`.
pub fn run(args: ReplArgs) -> u8 {
    let mut shell = match args.shell.open("in") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let interrupt = shell.engine().rt.meter.interrupt_flag();
    if let Some(m) = shell.engine_mut().rt.models.as_mut() {
        m.interrupt = Some(Arc::clone(&interrupt));
    }
    // The first handler ends the process when the flag is already set (a
    // second Ctrl-C); the second sets it. They run in this order.
    use signal_hook::consts::SIGINT;
    let handlers =
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&interrupt))
            .and_then(|_| signal_hook::flag::register(SIGINT, Arc::clone(&interrupt)));
    if let Err(e) = handlers {
        eprintln!("warning: Ctrl-C will end the REPL instead of the running entry: {e}");
    }
    let context = &shell.engine().rt.context;
    let docs = context.docs.len();
    let chars = context.source.char_count(context.range());
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<(), DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 1;
        }
    };
    if let Some(path) = &args.history_file {
        let _ = editor.load_history(path);
    }
    println!(
        "rlmq repl: {docs} document(s), {chars} characters in `context`. :help for help, Ctrl-D to leave."
    );
    let mut entries: Vec<String> = Vec::new();
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "rlq> " } else { "...> " };
        let line = match editor.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read input: {e}");
                break;
            }
        };
        if buffer.is_empty() {
            let cmd = line.trim();
            if cmd.starts_with(':') {
                let _ = editor.add_history_entry(cmd);
                match cmd {
                    ":q" | ":quit" | ":exit" => break,
                    ":help" | ":h" => println!("{HELP}"),
                    ":vars" | ":v" => {
                        for (name, d) in shell.variables() {
                            println!("{name}: {d}");
                        }
                    }
                    ":history" => {
                        for (i, e) in entries.iter().enumerate() {
                            println!("[{}] {}", i + 1, e.replace('\n', "\n    "));
                        }
                    }
                    other => println!("unknown command {other}; try :help"),
                }
                continue;
            }
            if cmd.is_empty() {
                continue;
            }
        }
        if !buffer.is_empty() && line.trim().is_empty() {
            // An empty line runs what has been typed.
        } else {
            if !buffer.is_empty() {
                buffer.push('\n');
            }
            buffer.push_str(&line);
            if needs_more(&buffer) {
                continue;
            }
        }
        let code = std::mem::take(&mut buffer);
        let _ = editor.add_history_entry(code.as_str());
        entries.push(code.clone());
        let turn = shell.run(&code);
        interrupt.store(false, Ordering::Relaxed);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(turn.output.as_bytes());
        if let Some(v) = turn.final_text() {
            let _ = writeln!(out, "final: {v}");
        }
        let _ = out.flush();
        if let Some(e) = &turn.error {
            eprint!("{}", e.rendered);
        }
    }
    if let Some(path) = &args.history_file {
        if let Err(e) = editor.save_history(path) {
            eprintln!(
                "warning: cannot save the history to {}: {e}",
                path.display()
            );
        }
    }
    0
}

/// True when `code` is not finished: an open bracket or triple-quoted
/// string, or a last line ending with an operator, `,`, `=` or `=>`.
pub fn needs_more(code: &str) -> bool {
    let mut depth: i64 = 0;
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    let mut last_code_line = String::new();
    let mut line = String::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '"' | '\'' => {
                let raw = i > 0 && matches!(chars[i - 1], 'r' | 'e');
                let triple = i + 2 < chars.len() && chars[i + 1] == c && chars[i + 2] == c;
                let (start, n) = if triple { (i + 3, 3) } else { (i + 1, 1) };
                let mut j = start;
                let mut closed = false;
                while j < chars.len() {
                    if chars[j] == '\\' && !raw {
                        j += 2;
                        continue;
                    }
                    if !triple && chars[j] == '\n' {
                        break;
                    }
                    let ends =
                        n == 1 || (chars.get(j + 1) == Some(&c) && chars.get(j + 2) == Some(&c));
                    if chars[j] == c && ends {
                        closed = true;
                        break;
                    }
                    j += 1;
                }
                if !closed {
                    return triple;
                }
                line.push('s');
                i = j + n;
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '\n' => {
                if !line.trim().is_empty() {
                    last_code_line = std::mem::take(&mut line);
                }
                line.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        line.push(c);
        i += 1;
    }
    if !line.trim().is_empty() {
        last_code_line = line;
    }
    if depth > 0 {
        return true;
    }
    let t = last_code_line.trim_end();
    const TRAILING: &[&str] = &[
        "+", "-", "*", "/", "%", "|", ",", "=", "=>", "\\", "??", "<", ">", " and", " or", " not",
        " in",
    ];
    TRAILING.iter().any(|op| t.ends_with(op))
}

#[cfg(test)]
mod tests {
    use super::needs_more;

    #[test]
    fn open_brackets_strings_and_operators_continue() {
        for code in [
            "def f(x) {",
            "let xs = [1,",
            "let x = 1 +",
            "xs | map(x =>",
            "let s = \"\"\"abc",
            "let x = 1 # comment (",
        ] {
            let expect = !code.contains("comment");
            assert_eq!(needs_more(code), expect, "{code}");
        }
        for code in [
            "print(1)",
            "let s = \"(\"",
            "let r = re\"\\d+\" ",
            "def f(x) {\n return x\n}",
            "let x = \"\"\"a\nb\"\"\"",
            "x == 1",
        ] {
            assert!(!needs_more(code), "{code}");
        }
    }
}
