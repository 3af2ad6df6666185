use super::*;
use proptest::prelude::*;

fn cfg(k: &str) -> Column {
    Column::Config(k.to_owned())
}
fn sum(k: &str) -> Column {
    Column::Summary(k.to_owned())
}
fn cmp(column: Column, op: CmpOp, value: Literal) -> Expr {
    Expr::Cmp { column, op, value }
}

#[test]
fn every_construct_parses() {
    let cases: Vec<(&str, Expr)> = vec![
        (
            "config.lr = 0.1",
            cmp(cfg("lr"), CmpOp::Eq, Literal::Float(0.1)),
        ),
        ("config.lr == 3", cmp(cfg("lr"), CmpOp::Eq, Literal::Int(3))),
        (
            "summary.val/loss < -2",
            cmp(sum("val/loss"), CmpOp::Lt, Literal::Int(-2)),
        ),
        (
            "summary.acc >= 1e-3",
            cmp(sum("acc"), CmpOp::Ge, Literal::Float(1e-3)),
        ),
        (
            "config.x != 'a\\'b'",
            cmp(cfg("x"), CmpOp::Ne, Literal::Str("a'b".into())),
        ),
        (
            "config.x <> \"y\"",
            cmp(cfg("x"), CmpOp::Ne, Literal::Str("y".into())),
        ),
        ("config.x > 1", cmp(cfg("x"), CmpOp::Gt, Literal::Int(1))),
        ("config.x <= 1", cmp(cfg("x"), CmpOp::Le, Literal::Int(1))),
        (
            "config.amp = TRUE",
            cmp(cfg("amp"), CmpOp::Eq, Literal::Bool(true)),
        ),
        (
            "config.amp = null",
            cmp(cfg("amp"), CmpOp::Eq, Literal::Null),
        ),
        (
            "created > 2026-11-01",
            cmp(
                Column::Builtin(Builtin::Created),
                CmpOp::Gt,
                Literal::Time(1_793_491_200_000),
            ),
        ),
        (
            "created < 2026-11-01T01:00:00.5+01:00",
            cmp(
                Column::Builtin(Builtin::Created),
                CmpOp::Lt,
                Literal::Time(1_793_491_200_500),
            ),
        ),
        (
            "state IN (\"running\", 'crashed')",
            Expr::In {
                column: Column::Builtin(Builtin::State),
                values: vec![
                    Literal::Str("running".into()),
                    Literal::Str("crashed".into()),
                ],
                negated: false,
            },
        ),
        (
            "config.opt not in ('adam')",
            Expr::In {
                column: cfg("opt"),
                values: vec![Literal::Str("adam".into())],
                negated: true,
            },
        ),
        (
            "name =~ \"^bert-.*\"",
            Expr::Match {
                column: Column::Builtin(Builtin::Name),
                pattern: "^bert-.*".into(),
            },
        ),
        (
            "group IS NULL",
            Expr::IsNull {
                column: Column::Builtin(Builtin::Group),
                negated: false,
            },
        ),
        (
            "`config.my key` is not null",
            Expr::IsNull {
                column: cfg("my key"),
                negated: true,
            },
        ),
        (
            "not tags = \"bad\"",
            Expr::Not(Box::new(cmp(
                Column::Builtin(Builtin::Tags),
                CmpOp::Eq,
                Literal::Str("bad".into()),
            ))),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text), Ok(want), "{text}");
    }
}

#[test]
fn precedence_is_or_then_and_then_not() {
    let a = || cmp(cfg("a"), CmpOp::Eq, Literal::Int(1));
    let b = || cmp(cfg("b"), CmpOp::Eq, Literal::Int(2));
    let c = || cmp(cfg("c"), CmpOp::Eq, Literal::Int(3));
    assert_eq!(
        parse("config.a = 1 or config.b = 2 and config.c = 3"),
        Ok(Expr::Or(vec![a(), Expr::And(vec![b(), c()])]))
    );
    assert_eq!(
        parse("(config.a = 1 or config.b = 2) and not config.c = 3"),
        Ok(Expr::And(vec![
            Expr::Or(vec![a(), b()]),
            Expr::Not(Box::new(c()))
        ]))
    );
    assert_eq!(
        parse("config.a = 1 AND config.b = 2 And config.c = 3"),
        Ok(Expr::And(vec![a(), b(), c()]))
    );
}

#[test]
fn blank_means_everything() {
    assert_eq!(parse_filter("   "), Ok(None));
}

/// Golden errors: the message and the byte range it underlines.
#[test]
fn errors_point_at_the_problem() {
    let cases: Vec<(&str, usize, usize, &str)> = vec![
        ("config.lr >", 11, 11, "expected a value, found the end"),
        ("config.lr 0.1", 10, 13, "expected an operator (= != < <= > >= =~ IN, NOT IN, IS NULL), found the number 0.1"),
        ("(config.lr = 1", 0, 14, "this `(` is never closed: add a `)`"),
        ("config.lr = 1)", 13, 14, "this `)` has no matching `(`"),
        ("config.lr = 1 config.b = 2", 14, 22, "expected `and`, `or` or the end, found `config.b`"),
        ("state = \"done\"", 0, 14, "unknown state \"done\": states are pending, running, finished, failed, crashed, killed"),
        ("state = 3", 0, 9, "state is text: compare it with a quoted state like \"finished\""),
        ("runtime > \"long\"", 0, 16, "runtime is a number of seconds: compare it with a number"),
        ("created > \"yesterday\"", 0, 21, "created is a time: compare it with a timestamp like 2026-11-01 or 2026-11-01T12:30:00Z"),
        ("name = \"x", 7, 9, "unterminated string: add the closing \""),
        ("lr < 1", 0, 2, "unknown column `lr`: write config keys as config.lr and summary metrics as summary.lr; other columns are name, state, created, runtime, user, tags, notes, group, job_type, sweep and id"),
        ("config.x < null", 0, 15, "null can only be compared with = or != (`<` needs a value)"),
        ("tags > \"a\"", 0, 10, "tags can be tested with =, !=, IN, NOT IN, =~ and IS NULL only"),
        ("config.x IN (1, null)", 0, 21, "null cannot be in a list: use IS NULL or IS NOT NULL"),
        ("config.x IN (1 2)", 15, 16, "expected `,` or `)` in the list, found the number 2"),
        ("config.x = adam", 11, 15, "expected a value, found `adam`: put text in quotes, like \"adam\""),
        ("config.x ! 1", 9, 10, "`!` must be followed by `=` (use `not` to negate)"),
        ("config.x = 2026-13-01", 11, 21, "`2026-13-01` is not a timestamp like 2026-11-01 or 2026-11-01T12:30:00Z"),
        ("config.x is 1", 12, 13, "expected `null` after `is`, found the number 1"),
        ("config.x = 1 and", 16, 16, "expected a column, found the end"),
        ("config.x = 1 # 2", 13, 14, "unexpected character `#`"),
        ("`config.x = 1", 0, 13, "unterminated column name: add the closing `"),
        ("config. = 1", 0, 7, "unknown column `config.`: write config keys as config.config. and summary metrics as summary.config.; other columns are name, state, created, runtime, user, tags, notes, group, job_type, sweep and id"),
    ];
    for (text, start, end, message) in cases {
        let err = parse(text).expect_err(text);
        assert_eq!(
            (err.start, err.end, err.message.as_str()),
            (start, end, message),
            "{text}"
        );
    }
    let bad_regex = parse("name =~ \"(unclosed\"").expect_err("bad regex");
    assert_eq!((bad_regex.start, bad_regex.end), (0, 19));
    assert!(
        bad_regex.message.starts_with("invalid regular expression"),
        "{}",
        bad_regex.message
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = format!("{}config.a = 1{}", "(".repeat(5000), ")".repeat(5000));
    let err = parse(&text).expect_err("too deep");
    assert!(err.message.contains("less nesting"), "{}", err.message);
    let nots = format!("{}config.a = 1", "not ".repeat(5000));
    assert!(parse(&nots).is_err());
}

#[test]
fn timestamps_round_trip_through_text() {
    for ms in [
        0,
        1_793_491_200_000,
        1_793_491_200_123,
        -86_400_000,
        253_402_300_799_999,
    ] {
        let text = print::time_text(ms);
        assert_eq!(lexer::parse_time(&text), Some(ms), "{text}");
    }
    assert_eq!(lexer::parse_time("2024-02-29"), Some(1_709_164_800_000));
    assert_eq!(lexer::parse_time("2023-02-29"), None);
}

fn row() -> FilterRow {
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("config.lr".into(), FieldValue::Num(0.01));
    fields.insert("config.opt".into(), FieldValue::Text("adam".into()));
    fields.insert("config.amp".into(), FieldValue::Text("true".into()));
    fields.insert("summary.loss".into(), FieldValue::Num(0.5));
    FilterRow {
        name: "bert-base-1".into(),
        id: "abc123".into(),
        state: "finished".into(),
        created_ms: 1_793_491_200_000,
        runtime_seconds: 60.0,
        user: "ada".into(),
        tags: vec!["baseline".into(), "v2".into()],
        notes: String::new(),
        group: Some("sweep-1".into()),
        job_type: None,
        sweep: Some("k3v9x2ab".into()),
        fields,
    }
}

#[test]
fn evaluation_follows_the_documented_meaning() {
    let r = row();
    let yes = [
        "config.lr = 0.01",
        "config.lr < 0.1 and config.opt = \"adam\"",
        "config.amp = true",
        "config.missing != 1",
        "config.missing IS NULL",
        "config.missing = null",
        "config.lr != null",
        "config.lr != \"0.01\"",
        "tags = \"v2\"",
        "tags IN (\"x\", \"baseline\")",
        "tags != \"nope\"",
        "tags =~ \"^v\\\\d\"",
        "name =~ \"bert\"",
        "notes IS NULL",
        "job_type IS NULL",
        "group = \"sweep-1\"",
        "sweep = \"k3v9x2ab\"",
        "created >= 2026-11-01 and created < 2026-11-02",
        "runtime > 59.5",
        "state NOT IN (\"running\")",
        "not (config.lr > 1 or summary.loss > 1)",
        "config.opt > \"Adam\"",
    ];
    for text in yes {
        let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(eval(&e, &r), "{text} should match");
    }
    let no = [
        "config.lr = \"0.01\"",
        "config.missing = 1",
        "config.missing < 1",
        "config.opt < 1",
        "tags = \"nope\"",
        "tags IS NULL",
        "tags NOT IN (\"v2\")",
        "summary.loss > 0.5",
        "config.amp = false",
        "name =~ \"^base\"",
    ];
    for text in no {
        let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(!eval(&e, &r), "{text} should not match");
    }
}

#[test]
fn json_leaves_become_typed_values() {
    use serde_json::json;
    assert_eq!(field_value(&json!(3)), Some(FieldValue::Num(3.0)));
    assert_eq!(
        field_value(&json!("NaN")),
        Some(FieldValue::Text("NaN".into()))
    );
    assert_eq!(
        field_value(&json!(false)),
        Some(FieldValue::Text("false".into()))
    );
    assert_eq!(field_value(&json!(null)), None);
    assert_eq!(
        field_value(&json!([1, 2])),
        Some(FieldValue::Text("[1,2]".into()))
    );
    let long = "é".repeat(400);
    match field_value(&json!(long)) {
        Some(FieldValue::Text(t)) => assert!(t.len() <= MAX_TEXT_BYTES && long.starts_with(&t)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn printing_quotes_what_needs_it() {
    let e = parse("`config.my key` = \"a\\\"b\" and config.and = 1").expect("parses");
    assert_eq!(print(&e), "`config.my key` = \"a\\\"b\" and config.and = 1");
    let e = parse("(config.a = 1 or config.b = 2) and not (config.c = 3 and tags = 'x')")
        .expect("parses");
    assert_eq!(
        print(&e),
        "(config.a = 1 or config.b = 2) and not (config.c = 3 and tags = \"x\")"
    );
}

fn arb_column() -> impl Strategy<Value = Column> {
    prop_oneof![
        "[a-z_][a-z0-9_./ -]{0,8}".prop_map(Column::Config),
        "[a-zA-Z][a-zA-Z0-9/`\"\\\\]{0,6}".prop_map(Column::Summary),
        Just(Column::Builtin(Builtin::Name)),
        Just(Column::Builtin(Builtin::Tags)),
        Just(Column::Builtin(Builtin::Group)),
    ]
}

fn arb_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        (-1e12f64..1e12).prop_map(Literal::Float),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Literal::Float),
        "[ -~é\\n]{0,8}".prop_map(Literal::Str),
        (0i64..253_402_300_799_999).prop_map(Literal::Time),
        any::<bool>().prop_map(Literal::Bool),
    ]
}

/// Tests that type-check for any column (config and summary take anything but
/// ordered comparisons with booleans).
fn arb_test() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (arb_column(), "[a-z]{0,5}").prop_map(|(column, s)| Expr::Cmp {
            column,
            op: CmpOp::Eq,
            value: Literal::Str(s)
        }),
        (
            arb_literal(),
            prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Ge])
        )
            .prop_map(|(value, op)| {
                let value = match (op, value) {
                    (CmpOp::Lt | CmpOp::Ge, Literal::Bool(_)) => Literal::Int(1),
                    (_, v) => v,
                };
                Expr::Cmp {
                    column: Column::Config("x".into()),
                    op,
                    value,
                }
            }),
        (
            arb_column(),
            prop::collection::vec("[a-z]{0,3}", 1..4),
            any::<bool>()
        )
            .prop_map(|(column, v, negated)| Expr::In {
                column,
                values: v.into_iter().map(Literal::Str).collect(),
                negated
            }),
        (arb_column(), "[a-z.^$]{0,6}")
            .prop_map(|(column, pattern)| Expr::Match { column, pattern }),
        (arb_column(), any::<bool>())
            .prop_map(|(column, negated)| Expr::IsNull { column, negated }),
    ]
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    arb_test().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

proptest! {
    #[test]
    fn printing_then_parsing_gives_the_same_tree(e in arb_expr()) {
        let text = print(&e);
        prop_assert_eq!(parse(&text), Ok(e), "{}", text);
    }

    #[test]
    fn no_input_panics(s in "\\PC{0,40}") {
        if let Err(e) = parse(&s) {
            prop_assert!(e.start <= e.end && e.end <= s.len());
            prop_assert!(s.is_char_boundary(e.start) && s.is_char_boundary(e.end));
        }
    }

    #[test]
    fn no_token_soup_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "config.a", "summary.b", "state", "tags", "created", "(", ")", ",", "=", "!=", "<", ">=",
        "=~", "in", "not", "is", "null", "and", "or", "1", "-2.5e3", "\"s\"", "2026-01-01", "`q`",
        "true", "\"[\"",
    ]), 0..14)) {
        let s = parts.join(" ");
        match parse(&s) {
            Ok(e) => prop_assert_eq!(parse(&print(&e)), Ok(e)),
            Err(e) => prop_assert!(e.start <= e.end && e.end <= s.len()),
        }
    }
}

#[test]
fn huge_filters_are_refused_with_the_limit() {
    let many = (0..1_000)
        .map(|i| format!("config.lr = {i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let e = parse(&many).unwrap_err();
    assert!(e.message.contains("at most 100 conditions"), "{e}");
    let ok = (0..100)
        .map(|i| format!("config.lr = {i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    assert!(parse(&ok).is_ok());
    let list = (0..1_001)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let e = parse(&format!("config.lr in ({list})")).unwrap_err();
    assert!(e.message.contains("at most 1000 values"), "{e}");
}
