//! Walking expression trees: visiting every sub-expression (lambda bodies
//! included), for the checker and effect analysis.

use crate::syntax::ast::*;

/// Calls `f` on `e` and every expression inside it (lambda bodies included).
pub fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    let mut w = |x: &Expr| walk_expr(x, f);
    match &e.kind {
        ExprKind::FString(parts) => {
            for p in parts {
                if let FStringPart::Expr { expr, .. } = p {
                    w(expr);
                }
            }
        }
        ExprKind::List(xs) => xs.iter().for_each(&mut w),
        ExprKind::Record(es) => {
            for (k, v) in es {
                if let RecordKey::Computed(k) = k {
                    w(k);
                }
                w(v);
            }
        }
        ExprKind::ListComp { elem, clauses } => {
            w(elem);
            walk_clauses(clauses, &mut w);
        }
        ExprKind::RecordComp {
            key,
            value,
            clauses,
        } => {
            w(key);
            w(value);
            walk_clauses(clauses, &mut w);
        }
        ExprKind::Unary(_, x) | ExprKind::Field(x, _) => w(x),
        ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Coalesce(a, b)
        | ExprKind::Index(a, b) => {
            w(a);
            w(b);
        }
        ExprKind::Compare(a, rest) => {
            w(a);
            rest.iter().for_each(|(_, x)| w(x));
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => {
            w(cond);
            w(then);
            w(otherwise);
        }
        ExprKind::Call { callee, args, .. } => {
            w(callee);
            args.iter().for_each(|a| w(&a.value));
        }
        ExprKind::Method { recv, args, .. } => {
            w(recv);
            args.iter().for_each(|a| w(&a.value));
        }
        ExprKind::Slice {
            expr,
            start,
            stop,
            step,
        } => {
            w(expr);
            for x in [start, stop, step].into_iter().flatten() {
                w(x);
            }
        }
        ExprKind::Lambda(l) => w(&l.body),
        _ => {}
    }
}

pub(super) fn walk_clauses(clauses: &[CompClause], w: &mut dyn FnMut(&Expr)) {
    for c in clauses {
        match c {
            CompClause::For { iter, .. } => w(iter),
            CompClause::If(x) => w(x),
        }
    }
}
