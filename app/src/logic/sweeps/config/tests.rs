use super::*;

const FULL: &str = r#"
program: train.py
name: lr search
description: every key of the schema
method: bayes
metric:
  name: val/loss
  goal: minimize
  target: 0.1
  impute: latest
early_terminate:
  type: hyperband
  min_iter: 3
  eta: 2
  strict: true
run_cap: 40
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
parameters:
  c: {value: 1}
  cat: {values: [a, b]}
  catp: {values: [a, b], probabilities: [0.25, 0.75]}
  iu: {distribution: int_uniform, min: 1, max: 8}
  u: {distribution: uniform, min: 0, max: 1}
  qu: {distribution: q_uniform, min: 0, max: 1, q: 0.1}
  lu: {distribution: log_uniform, min: -9, max: -2}
  luv: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
  ilu: {distribution: inv_log_uniform, min: 0, max: 3}
  iluv: {distribution: inv_log_uniform_values, min: 0.1, max: 1}
  qlu: {distribution: q_log_uniform, min: 0, max: 5, q: 2}
  qluv: {distribution: q_log_uniform_values, min: 1, max: 100, q: 2}
  n: {distribution: normal, mu: 0, sigma: 2}
  qn: {distribution: q_normal, mu: 0, sigma: 2, q: 0.5}
  ln: {distribution: log_normal, mu: 0, sigma: 1}
  qln: {distribution: q_log_normal, mu: 0, sigma: 1, q: 1}
  be: {distribution: beta, a: 2, b: 3}
  qbe: {distribution: q_beta, a: 2, b: 3, q: 0.1}
  optimizer:
    parameters:
      momentum: {values: [0.9, 0.99]}
      kind: {value: sgd}
"#;

#[test]
fn every_key_and_distribution_parses() {
    let c = parse(FULL).unwrap();
    assert_eq!(c.method, Method::Bayes);
    let m = c.metric.as_ref().unwrap();
    assert_eq!(
        (m.name.as_str(), m.goal, m.target, m.impute),
        ("val/loss", Goal::Minimize, Some(0.1), Impute::Latest)
    );
    let hb = c.early_terminate.as_ref().unwrap();
    assert_eq!((hb.min_iter, hb.eta, hb.strict), (Some(3), 2.0, true));
    assert_eq!(c.run_cap, Some(40));
    assert_eq!(c.program.as_deref(), Some("train.py"));
    let names: Vec<String> = c
        .leaves()
        .iter()
        .map(|(p, d)| format!("{}={}", p.join("."), d.name()))
        .collect();
    let mut want = vec![
        "c=constant",
        "cat=categorical",
        "catp=categorical",
        "iu=int_uniform",
        "u=uniform",
        "qu=q_uniform",
        "lu=log_uniform",
        "luv=log_uniform_values",
        "ilu=inv_log_uniform",
        "iluv=inv_log_uniform_values",
        "qlu=q_log_uniform",
        "qluv=q_log_uniform_values",
        "n=normal",
        "qn=q_normal",
        "ln=log_normal",
        "qln=q_log_normal",
        "be=beta",
        "qbe=q_beta",
        "optimizer.kind=constant",
        "optimizer.momentum=categorical",
    ];
    want.sort();
    assert_eq!(names, want);
    assert!(c.warnings.is_empty());
    assert_eq!(c.expected_runs(), Some(40));
}

#[test]
fn json_is_read_too_and_min_max_infer_the_distribution() {
    let c = parse(r#"{"method": "random", "parameters": {"a": {"min": 1, "max": 5}, "b": {"min": 0.5, "max": 2}}}"#).unwrap();
    let names: Vec<&str> = c.leaves().iter().map(|(_, d)| d.name()).collect();
    assert_eq!(names, ["int_uniform", "uniform"]);
    assert_eq!(c.expected_runs(), None);
}

#[test]
fn refusals_name_the_key_the_reason_and_the_line() {
    let cases = [
        ("parameters: {a: {value: 1}}\n", "method", "is required"),
        ("method: sideways\nparameters: {a: {value: 1}}\n", "method", "not one of"),
        ("method: grid\n", "parameters", "is required"),
        ("method: bayes\nparameters:\n  a: {min: 0.0, max: 1.0}\n", "metric", "needs a metric"),
        ("method: grid\nparameters:\n  lr:\n    min: 0.0\n    max: 1.0\n", "parameters.lr", "grid search needs discrete"),
        ("method: random\nparameters:\n  lr:\n    distribution: uniform\n    min: 2\n    max: 1\n", "parameters.lr.max", "greater than min"),
        ("method: random\nparameters:\n  lr: {distribution: log_uniform_values, min: 0, max: 1}\n", "parameters.lr.min", "greater than 0"),
        ("method: random\nparameters:\n  lr: {distribution: gaussian}\n", "parameters.lr.distribution", "not a distribution"),
        ("method: random\nparameters:\n  o: {values: [a, b], probabilities: [0.5, 0.6]}\n", "parameters.o.probabilities", "sum to 1"),
        ("method: random\nparameters:\n  o: {values: [a, b], probabilities: [1]}\n", "parameters.o.probabilities", "1 entries for 2"),
        ("method: random\nparameters:\n  o: {valuez: [a]}\n", "parameters.o.valuez", "not a parameter setting"),
        ("method: random\nrun_cap: 0\nparameters: {a: {value: 1}}\n", "run_cap", "positive"),
        ("method: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, max_iter: 27}\nparameters: {a: {value: 1}}\n", "early_terminate.s", "required"),
        ("method: random\nmetric: {name: l}\nearly_terminate: {type: median}\nparameters: {a: {value: 1}}\n", "early_terminate.type", "not hyperband"),
        ("method: random\nmetric: {name: l, goal: lower}\nparameters: {a: {value: 1}}\n", "metric.goal", "minimize or maximize"),
        ("method: grid\nrandom_without_replacement: true\nparameters: {a: {values: [1]}}\n", "random_without_replacement", "method: random"),
        ("method: random\nrandom_without_replacement: true\nparameters: {a: {min: 0.0, max: 1.0}}\n", "random_without_replacement", "discrete"),
        ("method: random\ncontroller: {type: remote}\nparameters: {a: {value: 1}}\n", "controller.type", "not cloud or local"),
        ("method: random\nparameters:\n  a: {distribution: uniform, min: -1e308, max: 1e308}\n", "parameters.a", "too far apart"),
        ("method: grid\nparameters:\n  a: {distribution: int_uniform, min: -9223372036854775808, max: 9223372036854775807}\n", "parameters.a", "more than 10000 values"),
        ("method: grid\nparameters:\n  a: {distribution: int_uniform, min: 0, max: 9000}\n  b: {distribution: int_uniform, min: 0, max: 9000}\n  c: {distribution: int_uniform, min: 0, max: 9000}\n  d: {distribution: int_uniform, min: 0, max: 9000}\n  e: {distribution: int_uniform, min: 0, max: 9000}\n  f: {distribution: int_uniform, min: 0, max: 9000}\n  g: {distribution: int_uniform, min: 0, max: 9000}\n  h: {distribution: int_uniform, min: 0, max: 9000}\n  i: {distribution: int_uniform, min: 0, max: 9000}\n  j: {distribution: int_uniform, min: 0, max: 9000}\n  k: {distribution: int_uniform, min: 0, max: 9000}\n  l: {distribution: int_uniform, min: 0, max: 9000}\n", "parameters", "at most 100000"),
        ("method: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, max_iter: 27, s: 1000, eta: 1.000001}\nparameters: {a: {value: 1}}\n", "early_terminate.s", "at most 64"),
    ];
    for (text, key, reason) in cases {
        let e = parse(text).expect_err(text);
        assert_eq!(e.key, key, "{text}: {e}");
        assert!(e.reason.contains(reason), "{text}: {e}");
    }
    let e = parse("method: grid\nparameters:\n  lr:\n    min: 0.0\n    max: 1.0\n").unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    let e = parse(
        "method: random\nparameters:\n  lr:\n    distribution: uniform\n    min: 2\n    max: 1\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(6), "{e}");
    assert!(
        e.to_string().starts_with("line 6: parameters.lr.max:"),
        "{e}"
    );
}

#[test]
fn syntax_errors_carry_the_position() {
    let e = parse("method: grid\nparameters:\n  a: {values: [1, 2}\n").unwrap_err();
    assert_eq!(e.key, "");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.column.is_some());
    assert!(parse("").is_err());
    assert!(parse("- a\n- b\n").unwrap_err().reason.contains("mapping"));
}

#[test]
fn aliases_are_refused_before_they_expand() {
    // A billion laughs: nine levels of nine aliases each.
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10u8 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        let items = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{cur}: &{cur} [{items}]\n"));
    }
    text.push_str("method: random\nparameters: {x: {value: 1}}\n");
    let e = parse(&text).unwrap_err();
    assert!(e.reason.contains("aliases"), "{e}");
    assert_eq!(e.line, Some(2));
}

#[test]
fn unknown_top_level_keys_are_warnings() {
    let c = parse("method: random\napiVersion: 2\nparameters: {a: {value: 1}}\n").unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].starts_with("apiVersion"));
}

#[test]
fn assignments_nest_and_key_canonically() {
    let a: Assignment = vec![
        (vec!["opt".into(), "m".into()], Value::from(0.9)),
        (vec!["lr".into()], Value::from(0.1)),
        (vec!["opt".into(), "kind".into()], Value::from("sgd")),
    ];
    assert_eq!(
        assignment_key(&a),
        r#"{"lr":0.1,"opt":{"kind":"sgd","m":0.9}}"#
    );
    let args = assignment_args(&a);
    assert_eq!(args["lr"], serde_json::json!({"value": 0.1}));
    let cfg = parse("method: grid\nparameters:\n  lr: {values: [0.1]}\n  opt:\n    parameters:\n      m: {values: [0.9]}\n      kind: {value: sgd}\n").unwrap();
    // The run's config as wandb stores it: {"key": {"value": …, "desc": …}}.
    let stored: Map<String, Value> = serde_json::from_str(
        r#"{"lr": {"value": 0.1, "desc": null}, "opt": {"value": {"m": 0.9, "kind": "sgd"}}, "_wandb": {"value": {}}}"#,
    )
    .unwrap();
    assert_eq!(
        config_key(&cfg, &stored).as_deref(),
        Some(assignment_key(&a).as_str())
    );
    let plain: Map<String, Value> = serde_json::from_str(r#"{"lr": 0.1}"#).unwrap();
    assert_eq!(config_key(&cfg, &plain), None);
}

#[test]
fn quantize_tidies_float_noise() {
    assert_eq!(quantize(0.30000000000000004, 0.1), 0.3);
    assert_eq!(quantize(7.3, 2.0), 8.0);
    assert_eq!(number(3.0), Value::from(3));
}
