//! A compact, stable S-expression rendering of the AST, for tests and for
//! looking at what a program parsed into.
//!
//! `let ys = xs | map(x => x + 1)` renders as
//! `(let ys (call| map xs (=> (x) (+ x 1))))`: calls written with `|` show
//! as `call|`, keyword arguments as `k=v`, blocks as `{...; ...}`.

use std::fmt::Write as _;

use super::ast::{
    Arg, BinOp, CmpOp, CompClause, Expr, ExprKind, FStringPart, Pattern, Place, PlaceStep, Program,
    RecordKey, Stmt, StmtKind, UnOp,
};

/// Renders a program, one statement per line.
pub fn program(p: &Program) -> String {
    p.stmts.iter().map(stmt).collect::<Vec<_>>().join("\n")
}

/// Renders one statement.
pub fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Let { target, value } => format!("(let {} {})", pattern(target), expr(value)),
        StmtKind::SetPlace { place: p, value } => format!("(set {} {})", place(p), expr(value)),
        StmtKind::AugAssign {
            place: p,
            op,
            value,
        } => {
            format!("(aug{} {} {})", binop(*op), place(p), expr(value))
        }
        StmtKind::Expr(e) => expr(e),
        StmtKind::If {
            branches,
            otherwise,
        } => {
            let mut out = String::from("(if");
            for (c, b) in branches {
                let _ = write!(out, " ({} {})", expr(c), block(b));
            }
            if let Some(b) = otherwise {
                let _ = write!(out, " (else {})", block(b));
            }
            out.push(')');
            out
        }
        StmtKind::For { target, iter, body } => {
            format!("(for {} {} {})", pattern(target), expr(iter), block(body))
        }
        StmtKind::While { cond, body } => format!("(while {} {})", expr(cond), block(body)),
        StmtKind::Break => "break".into(),
        StmtKind::Continue => "continue".into(),
        StmtKind::Return(None) => "(return)".into(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr(e)),
        StmtKind::Def(f) => {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| match &p.default {
                    Some(d) => format!("{}={}", p.name, expr(d)),
                    None => p.name.to_string(),
                })
                .collect();
            format!("(def {} ({}) {})", f.name, params.join(" "), block(&f.body))
        }
        StmtKind::Error => "error".into(),
    }
}

fn block(b: &[Stmt]) -> String {
    format!("{{{}}}", b.iter().map(stmt).collect::<Vec<_>>().join("; "))
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Name(n, ..) => n.to_string(),
        Pattern::List(ps, _) => {
            format!("[{}]", ps.iter().map(pattern).collect::<Vec<_>>().join(" "))
        }
    }
}

fn place(p: &Place) -> String {
    let mut out = p.root.to_string();
    for step in &p.path {
        match step {
            PlaceStep::Index(e) => {
                let _ = write!(out, "[{}]", expr(e));
            }
            PlaceStep::Field(n, _) => {
                let _ = write!(out, ".{n}");
            }
        }
    }
    out
}

fn binop(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
    }
}

fn cmpop(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::In => "in",
        CmpOp::NotIn => "not-in",
    }
}

fn args(a: &[Arg]) -> String {
    a.iter()
        .map(|a| match &a.name {
            Some(n) => format!(" {n}={}", expr(&a.value)),
            None => format!(" {}", expr(&a.value)),
        })
        .collect()
}

fn clauses(cs: &[CompClause]) -> String {
    cs.iter()
        .map(|c| match c {
            CompClause::For { target, iter } => {
                format!(" (for {} {})", pattern(target), expr(iter))
            }
            CompClause::If(e) => format!(" (if {})", expr(e)),
        })
        .collect()
}

fn opt(e: &Option<Box<Expr>>) -> String {
    e.as_ref().map_or("_".into(), |e| expr(e))
}

/// Renders one expression.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(x) => format!("{x:?}"),
        ExprKind::Str(s) => format!("{:?}", &**s),
        ExprKind::Regex(s) => format!("re{:?}", &**s),
        ExprKind::FString(parts) => {
            let mut out = String::from("(f");
            for p in parts {
                match p {
                    FStringPart::Text(t) => {
                        let _ = write!(out, " {:?}", &**t);
                    }
                    FStringPart::Expr { expr: x, spec } => match spec {
                        Some(s) => {
                            let _ = write!(out, " {{{}:{}}}", expr(x), s);
                        }
                        None => {
                            let _ = write!(out, " {{{}}}", expr(x));
                        }
                    },
                }
            }
            out.push(')');
            out
        }
        ExprKind::Var(n, _) => n.to_string(),
        ExprKind::List(xs) => format!("[{}]", xs.iter().map(expr).collect::<Vec<_>>().join(" ")),
        ExprKind::Record(entries) => {
            let items: Vec<String> = entries
                .iter()
                .map(|(k, v)| match k {
                    RecordKey::Fixed(n) => format!("{n:?}: {}", expr(v)),
                    RecordKey::Computed(k) => format!("[{}]: {}", expr(k), expr(v)),
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        ExprKind::ListComp { elem, clauses: cs } => {
            format!("(listcomp {}{})", expr(elem), clauses(cs))
        }
        ExprKind::RecordComp {
            key,
            value,
            clauses: cs,
        } => format!("(recordcomp {} {}{})", expr(key), expr(value), clauses(cs)),
        ExprKind::Unary(UnOp::Neg, x) => format!("(- {})", expr(x)),
        ExprKind::Unary(UnOp::Not, x) => format!("(not {})", expr(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", binop(*op), expr(a), expr(b)),
        ExprKind::And(a, b) => format!("(and {} {})", expr(a), expr(b)),
        ExprKind::Or(a, b) => format!("(or {} {})", expr(a), expr(b)),
        ExprKind::Coalesce(a, b) => format!("(?? {} {})", expr(a), expr(b)),
        ExprKind::Compare(first, rest) => {
            let mut out = format!("(cmp {}", expr(first));
            for (op, x) in rest {
                let _ = write!(out, " {} {}", cmpop(*op), expr(x));
            }
            out.push(')');
            out
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => format!("(cond {} {} {})", expr(cond), expr(then), expr(otherwise)),
        ExprKind::Call {
            callee,
            args: a,
            piped,
        } => format!(
            "(call{} {}{})",
            if *piped { "|" } else { "" },
            expr(callee),
            args(a)
        ),
        ExprKind::Method {
            recv,
            name,
            args: a,
            ..
        } => format!("(method {} {}{})", expr(recv), name, args(a)),
        ExprKind::Field(x, n) => format!("(. {} {})", expr(x), n),
        ExprKind::Index(x, i) => format!("(index {} {})", expr(x), expr(i)),
        ExprKind::Slice {
            expr: x,
            start,
            stop,
            step,
        } => format!(
            "(slice {} {} {} {})",
            expr(x),
            opt(start),
            opt(stop),
            opt(step)
        ),
        ExprKind::Lambda(l) => format!(
            "(=> ({}) {})",
            l.params.iter().map(pattern).collect::<Vec<_>>().join(" "),
            expr(&l.body)
        ),
        ExprKind::Error => "error".into(),
    }
}
