//! A sweep's configuration: the wandb sweep schema (`wandb/sweeps`'
//! `config/schema.json`) read from YAML or JSON text into typed parts, with every
//! refusal naming the key, the reason and, where the text shows it, the line.
//!
//! The browser runs this as a sweep is typed; the server runs it before storing one.

use serde_json::{Map, Value};

/// A refusal: where (`parameters.lr.min`, empty for the whole text), why, and the
/// 1-based line and column in the text when known.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(c) = self.column {
                write!(f, ", column {c}")?;
            }
            write!(f, ": ")?;
        }
        if self.key.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.key, self.reason)
        }
    }
}

fn err(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        reason: reason.into(),
        line: None,
        column: None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Grid,
    Random,
    Bayes,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::Random => "random",
            Method::Bayes => "bayes",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Minimize,
    Maximize,
}

/// What a failed run counts as when bayes learns from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impute {
    Worst,
    Best,
    Latest,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    pub goal: Goal,
    pub target: Option<f64>,
    pub impute: Impute,
    pub impute_while_running: Option<Impute>,
}

impl MetricSpec {
    /// `a` is better than `b` under the goal.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.goal {
            Goal::Minimize => a < b,
            Goal::Maximize => a > b,
        }
    }
}

/// Hyperband early termination: bands `min_iter·eta^k`, or `max_iter/eta^k` for
/// `k in 1..=s`, counted in logged values of the metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Hyperband {
    pub min_iter: Option<u64>,
    pub max_iter: Option<u64>,
    pub s: u32,
    pub eta: f64,
    pub strict: bool,
}

impl Hyperband {
    /// The bands (ascending), those at most `longest` when counting up from min_iter.
    pub fn bands(&self, longest: u64) -> Vec<u64> {
        let mut out = Vec::new();
        if let Some(max) = self.max_iter {
            let mut band = max as f64;
            for _ in 0..self.s {
                band /= self.eta;
                if band < 1.0 {
                    break;
                }
                out.push(band as u64);
            }
            out.sort_unstable();
            out.dedup();
        } else if let Some(min) = self.min_iter {
            let mut band = min.max(1) as f64;
            while band as u64 <= longest.max(min) && out.len() < 64 {
                out.push(band as u64);
                band *= self.eta;
            }
        }
        out
    }
}

/// One parameter's distribution, as the schema names them.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(Value),
    Categorical {
        values: Vec<Value>,
        probabilities: Option<Vec<f64>>,
    },
    IntUniform {
        min: i64,
        max: i64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    QUniform {
        min: f64,
        max: f64,
        q: f64,
    },
    /// `min`/`max` are natural-log exponents.
    LogUniform {
        min: f64,
        max: f64,
        q: Option<f64>,
    },
    /// `min`/`max` are the values themselves.
    LogUniformValues {
        min: f64,
        max: f64,
        q: Option<f64>,
    },
    InvLogUniform {
        min: f64,
        max: f64,
    },
    InvLogUniformValues {
        min: f64,
        max: f64,
    },
    Normal {
        mu: f64,
        sigma: f64,
        q: Option<f64>,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        q: Option<f64>,
    },
    Beta {
        a: f64,
        b: f64,
        q: Option<f64>,
    },
}

impl Dist {
    /// The values a grid walks, or None for a continuous distribution.
    pub fn grid_values(&self) -> Option<Vec<Value>> {
        match self {
            Dist::Constant(v) => Some(vec![v.clone()]),
            Dist::Categorical { values, .. } => Some(values.clone()),
            Dist::IntUniform { min, max } => (i128::from(*max) - i128::from(*min)
                < MAX_AXIS_VALUES as i128)
                .then(|| (*min..=*max).map(Value::from).collect()),
            Dist::QUniform { min, max, q } => {
                let n = ((max - min) / q).floor();
                (n < MAX_AXIS_VALUES as f64).then(|| {
                    (0..=n as u64)
                        .map(|i| number(quantize(min + i as f64 * q, *q)))
                        .collect()
                })
            }
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Dist::Constant(_) => "constant",
            Dist::Categorical { .. } => "categorical",
            Dist::IntUniform { .. } => "int_uniform",
            Dist::Uniform { .. } => "uniform",
            Dist::QUniform { .. } => "q_uniform",
            Dist::LogUniform { q: None, .. } => "log_uniform",
            Dist::LogUniform { .. } => "q_log_uniform",
            Dist::LogUniformValues { q: None, .. } => "log_uniform_values",
            Dist::LogUniformValues { .. } => "q_log_uniform_values",
            Dist::InvLogUniform { .. } => "inv_log_uniform",
            Dist::InvLogUniformValues { .. } => "inv_log_uniform_values",
            Dist::Normal { q: None, .. } => "normal",
            Dist::Normal { .. } => "q_normal",
            Dist::LogNormal { q: None, .. } => "log_normal",
            Dist::LogNormal { .. } => "q_log_normal",
            Dist::Beta { q: None, .. } => "beta",
            Dist::Beta { .. } => "q_beta",
        }
    }
}

/// Most values one parameter of a grid may take, and most values all of a grid's
/// parameters may take together (the grid walks them; a bigger space needs random
/// or bayes search).
pub const MAX_AXIS_VALUES: usize = 10_000;
pub const MAX_GRID_VALUES: usize = 100_000;

/// `x` rounded to the nearest multiple of `q` (and tidied of float noise).
pub fn quantize(x: f64, q: f64) -> f64 {
    let v = (x / q).round() * q;
    // 0.1 * 3 is 0.30000000000000004: keep 12 significant digits.
    let digits = 12 - v.abs().log10().ceil().max(0.0) as i32;
    let f = 10f64.powi(digits.clamp(0, 15));
    (v * f).round() / f
}

/// A JSON number, integral floats written as integers (`3` rather than `3.0`).
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Dist(Dist),
    Nested(Vec<(String, Param)>),
}

/// A parsed sweep configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepConfig {
    pub method: Method,
    pub metric: Option<MetricSpec>,
    pub parameters: Vec<(String, Param)>,
    pub early_terminate: Option<Hyperband>,
    pub run_cap: Option<u64>,
    /// Cairn's addition: random search never repeats a set (discrete spaces only).
    pub random_without_replacement: bool,
    /// `controller: {type: local}`: the client's controller picks the runs.
    pub local_controller: bool,
    pub program: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// The whole configuration as JSON, as the agent reads it back.
    pub raw: Value,
    /// Keys Cairn does not know, kept and reported as warnings.
    pub warnings: Vec<String>,
}

/// One assignment of values to the leaf parameters, by their path.
pub type Assignment = Vec<(Vec<String>, Value)>;

impl SweepConfig {
    /// Every leaf parameter, by path, in name order (a grid walks them so).
    pub fn leaves(&self) -> Vec<(Vec<String>, &Dist)> {
        fn walk<'a>(
            prefix: &[String],
            params: &'a [(String, Param)],
            out: &mut Vec<(Vec<String>, &'a Dist)>,
        ) {
            for (k, p) in params {
                let mut path = prefix.to_vec();
                path.push(k.clone());
                match p {
                    Param::Dist(d) => out.push((path, d)),
                    Param::Nested(inner) => walk(&path, inner, out),
                }
            }
        }
        let mut out = Vec::new();
        walk(&[], &self.parameters, &mut out);
        out
    }

    /// The number of combinations a grid walks (None when some parameter is
    /// continuous); saturates rather than overflowing.
    pub fn grid_size(&self) -> Option<u64> {
        self.leaves().iter().try_fold(1u64, |n, (_, d)| {
            d.grid_values().map(|v| n.saturating_mul(v.len() as u64))
        })
    }

    /// How many runs the sweep expects: the run cap, or the grid's size.
    pub fn expected_runs(&self) -> Option<u64> {
        let grid = (self.method == Method::Grid)
            .then(|| self.grid_size())
            .flatten();
        match (self.run_cap, grid) {
            (Some(c), Some(g)) => Some(c.min(g)),
            (c, g) => c.or(g),
        }
    }
}

/// The run's config for an assignment: nested parameters nest.
pub fn assignment_config(a: &Assignment) -> Map<String, Value> {
    let mut root = Map::new();
    for (path, v) in a {
        let mut at = &mut root;
        for (i, k) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at.insert(k.clone(), v.clone());
            } else {
                let next = at
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                let Value::Object(m) = next else { break };
                at = m;
            }
        }
    }
    root
}

/// The agent's `args`: each top-level parameter as `{"value": …}`.
pub fn assignment_args(a: &Assignment) -> Map<String, Value> {
    assignment_config(a)
        .into_iter()
        .map(|(k, v)| (k, serde_json::json!({ "value": v })))
        .collect()
}

/// A stable key for an assignment: the canonical JSON of its config (object keys
/// sorted), so the same values always give the same key.
pub fn assignment_key(a: &Assignment) -> String {
    Value::Object(assignment_config(a)).to_string()
}

/// The same key for a run's stored config restricted to the sweep's parameters,
/// or None when the config lacks one of them.
pub fn config_key(cfg: &SweepConfig, run_config: &Map<String, Value>) -> Option<String> {
    let mut a = Assignment::new();
    for (path, _) in cfg.leaves() {
        let mut at = run_config;
        let mut found = None;
        for (i, k) in path.iter().enumerate() {
            let v = at.get(k)?;
            // wandb stores config values as {"value": v, "desc": …}.
            let v = match v {
                Value::Object(m) if m.contains_key("value") && i == 0 => &m["value"],
                other => other,
            };
            if i + 1 == path.len() {
                found = Some(v.clone());
            } else {
                at = v.as_object()?;
            }
        }
        a.push((path, found?));
    }
    Some(assignment_key(&a))
}

// ---- reading the text ----

/// Reads YAML (or JSON, a subset of YAML) into JSON, with the parser's position on
/// a syntax error.
pub fn parse_text(text: &str) -> Result<Value, ConfigError> {
    use yaml_rust2::YamlLoader;
    refuse_aliases(text)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        let m = e.marker();
        ConfigError {
            key: String::new(),
            reason: e.info().to_owned(),
            line: Some(m.line()),
            column: Some(m.col() + 1),
        }
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Err(err("", "the configuration is empty"));
    };
    yaml_to_json(doc)
}

/// YAML aliases (`*name`) are refused before the document is built: the loader
/// copies the anchored value at every alias, so a few nested aliases in a short
/// text would expand to billions of nodes.
fn refuse_aliases(text: &str) -> Result<(), ConfigError> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;
    struct Aliases(Option<Marker>);
    impl MarkedEventReceiver for Aliases {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            if matches!(ev, Event::Alias(_)) && self.0.is_none() {
                self.0 = Some(mark);
            }
        }
    }
    let mut found = Aliases(None);
    // Syntax errors are reported by the loader, with the same position.
    let _ = Parser::new_from_str(text).load(&mut found, true);
    match found.0 {
        Some(m) => Err(ConfigError {
            key: String::new(),
            reason: "YAML aliases (*name) are not accepted in a sweep configuration; write the value out".into(),
            line: Some(m.line()),
            column: Some(m.col() + 1),
        }),
        None => Ok(()),
    }
}

fn yaml_to_json(y: yaml_rust2::Yaml) -> Result<Value, ConfigError> {
    use yaml_rust2::Yaml;
    Ok(match y {
        Yaml::Real(s) => {
            let f: f64 = s
                .parse()
                .or_else(|_| match s.to_ascii_lowercase().as_str() {
                    ".inf" | "+.inf" => Ok(f64::INFINITY),
                    "-.inf" => Ok(f64::NEG_INFINITY),
                    _ => Err(()),
                })
                .map_err(|_| err("", format!("{s:?} is not a number")))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| err("", format!("{s} is not a finite number")))?
        }
        Yaml::Integer(i) => Value::from(i),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Null => Value::Null,
        Yaml::Array(a) => Value::Array(a.into_iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Null => "null".into(),
                    _ => return Err(err("", "a mapping key must be a plain value")),
                };
                m.insert(key, yaml_to_json(v)?);
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err(err("", "unsupported YAML value")),
    })
}

/// Parses and checks a configuration given as text; a refusal carries the line of
/// the key it names when the text shows it.
pub fn parse(text: &str) -> Result<SweepConfig, ConfigError> {
    let v = parse_text(text)?;
    from_json(&v).map_err(|mut e| {
        if e.line.is_none() {
            e.line = key_line(text, &e.key);
        }
        e
    })
}

/// The 1-based line where a dotted key path is written, following indentation
/// (YAML) or simply the last segment's first quoted or bare occurrence after its
/// parents (JSON).
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for seg in key.split('.') {
        let hit = lines.iter().enumerate().skip(from).find(|(_, l)| {
            let t = l.trim_start().trim_start_matches(['{', ',', ' ', '-']);
            t.starts_with(&format!("{seg}:"))
                || t.starts_with(&format!("\"{seg}\""))
                || t.starts_with(&format!("'{seg}'"))
        });
        match hit {
            Some((i, _)) => {
                found = Some(i + 1);
                from = i + 1;
            }
            None => break,
        }
    }
    found
}

fn num(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>, ConfigError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| err(&format!("{at}.{key}"), "must be a finite number")),
        Some(_) => Err(err(&format!("{at}.{key}"), "must be a number")),
    }
}

fn need(m: &Map<String, Value>, key: &str, at: &str) -> Result<f64, ConfigError> {
    num(m, key, at)?.ok_or_else(|| err(&format!("{at}.{key}"), "is required"))
}

fn int(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<i64>, ConfigError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| err(&format!("{at}.{key}"), "must be an integer")),
        Some(_) => Err(err(&format!("{at}.{key}"), "must be an integer")),
    }
}

fn text_field(m: &Map<String, Value>, key: &str) -> Result<Option<String>, ConfigError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(key, "must be text")),
    }
}

const TOP_KEYS: &[&str] = &[
    "method",
    "metric",
    "parameters",
    "early_terminate",
    "run_cap",
    "program",
    "command",
    "name",
    "description",
    "project",
    "entity",
    "controller",
    "job",
    "image_uri",
    "random_without_replacement",
];

/// Checks a configuration already read into JSON.
pub fn from_json(v: &Value) -> Result<SweepConfig, ConfigError> {
    let Value::Object(m) = v else {
        return Err(err(
            "",
            "the configuration must be a mapping of keys to values",
        ));
    };
    let method = match m.get("method") {
        None => return Err(err("method", "is required: grid, random or bayes")),
        Some(Value::String(s)) => match s.as_str() {
            "grid" => Method::Grid,
            "random" => Method::Random,
            "bayes" => Method::Bayes,
            "custom" => {
                return Err(err(
                    "method",
                    "custom sweeps need W&B's launch scheduler, which Cairn does not run",
                ))
            }
            other => {
                return Err(err(
                    "method",
                    format!("{other:?} is not one of grid, random, bayes"),
                ))
            }
        },
        Some(_) => return Err(err("method", "must be grid, random or bayes")),
    };
    let metric = match m.get("metric") {
        None | Some(Value::Null) => None,
        Some(Value::Object(mm)) => Some(metric(mm)?),
        Some(_) => return Err(err("metric", "must be a mapping with a name")),
    };
    let parameters = match m.get("parameters") {
        None => return Err(err("parameters", "is required")),
        Some(Value::Object(p)) if p.is_empty() => {
            return Err(err("parameters", "needs at least one parameter"))
        }
        Some(Value::Object(p)) => params(p, "parameters")?,
        Some(_) => return Err(err("parameters", "must be a mapping of names to values")),
    };
    if method == Method::Bayes && metric.is_none() {
        return Err(err("metric", "bayes search needs a metric to optimise"));
    }
    let early_terminate = match m.get("early_terminate") {
        None | Some(Value::Null) => None,
        Some(Value::Object(e)) => Some(hyperband(e)?),
        Some(_) => return Err(err("early_terminate", "must be a mapping")),
    };
    if early_terminate.is_some() && metric.is_none() {
        return Err(err("metric", "early termination needs a metric"));
    }
    let run_cap =
        match int(m, "run_cap", "").map_err(|_| err("run_cap", "must be a positive integer"))? {
            None => None,
            Some(n) if n >= 1 => Some(n as u64),
            Some(_) => return Err(err("run_cap", "must be a positive integer")),
        };
    let random_without_replacement = match m.get("random_without_replacement") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(err("random_without_replacement", "must be true or false")),
    };
    let local_controller = match m.get("controller") {
        None | Some(Value::Null) => false,
        Some(Value::Object(c)) => match c.get("type").and_then(Value::as_str) {
            None | Some("cloud") => false,
            Some("local") => true,
            Some(other) => {
                return Err(err(
                    "controller.type",
                    format!("{other:?} is not cloud or local"),
                ))
            }
        },
        Some(_) => return Err(err("controller", "must be a mapping like {type: local}")),
    };
    if let Some(c) = m.get("command") {
        if !c.is_array() && !c.is_null() {
            return Err(err("command", "must be a list of words and macros"));
        }
    }
    let cfg = SweepConfig {
        method,
        metric,
        parameters,
        early_terminate,
        run_cap,
        random_without_replacement,
        local_controller,
        program: text_field(m, "program")?,
        name: text_field(m, "name")?,
        description: text_field(m, "description")?,
        raw: v.clone(),
        warnings: m
            .keys()
            .filter(|k| !TOP_KEYS.contains(&k.as_str()))
            .map(|k| format!("{k}: not a sweep setting Cairn knows; kept as written"))
            .collect(),
    };
    if cfg.method == Method::Grid || cfg.random_without_replacement {
        let total: usize = cfg
            .leaves()
            .iter()
            .filter_map(|(_, d)| d.grid_values().map(|v| v.len()))
            .sum();
        if total > MAX_GRID_VALUES {
            return Err(err(
                "parameters",
                format!("the grid's parameters take {total} values in all; at most {MAX_GRID_VALUES} (use random or bayes search)"),
            ));
        }
    }
    if cfg.method == Method::Grid {
        for (path, d) in cfg.leaves() {
            if d.grid_values().is_none() {
                return Err(err(
                    &format!("parameters.{}", path.join(".parameters.")),
                    format!(
                        "grid search needs discrete values; this {} is continuous or takes more than {MAX_AXIS_VALUES} values (use values, or method: random)",
                        d.name()
                    ),
                ));
            }
        }
    }
    if cfg.random_without_replacement {
        if cfg.method != Method::Random {
            return Err(err(
                "random_without_replacement",
                "applies to method: random only",
            ));
        }
        if cfg.grid_size().is_none() {
            return Err(err(
                "random_without_replacement",
                "needs every parameter discrete (values, int_uniform or q_uniform)",
            ));
        }
    }
    Ok(cfg)
}

fn metric(m: &Map<String, Value>) -> Result<MetricSpec, ConfigError> {
    let name = match m.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(err(
                "metric.name",
                "is required (the logged key to optimise)",
            ))
        }
    };
    let goal = match m.get("goal").and_then(Value::as_str) {
        None if m.get("goal").is_none() => Goal::Minimize,
        Some("minimize") => Goal::Minimize,
        Some("maximize") => Goal::Maximize,
        _ => return Err(err("metric.goal", "must be minimize or maximize")),
    };
    let imp = |key: &str| -> Result<Option<Impute>, ConfigError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => match s.as_str() {
                "worst" => Ok(Some(Impute::Worst)),
                "best" => Ok(Some(Impute::Best)),
                "latest" => Ok(Some(Impute::Latest)),
                _ => Err(err(
                    &format!("metric.{key}"),
                    "must be worst, best or latest",
                )),
            },
            Some(_) => Err(err(
                &format!("metric.{key}"),
                "must be worst, best or latest",
            )),
        }
    };
    let impute_while_running = match m.get("impute_while_running") {
        Some(Value::Bool(false)) => None,
        Some(Value::String(s)) if s == "false" => None,
        _ => imp("impute_while_running")?,
    };
    Ok(MetricSpec {
        name,
        goal,
        target: num(m, "target", "metric")?,
        impute: imp("impute")?.unwrap_or(Impute::Worst),
        impute_while_running,
    })
}

fn hyperband(m: &Map<String, Value>) -> Result<Hyperband, ConfigError> {
    match m.get("type").and_then(Value::as_str) {
        Some("hyperband") => {}
        Some(other) => {
            return Err(err(
                "early_terminate.type",
                format!("{other:?} is not hyperband"),
            ))
        }
        None => return Err(err("early_terminate.type", "is required: hyperband")),
    }
    let at = "early_terminate";
    let pos = |k: &str| -> Result<Option<u64>, ConfigError> {
        match int(m, k, at)? {
            None => Ok(None),
            Some(n) if n >= 1 => Ok(Some(n as u64)),
            Some(_) => Err(err(&format!("{at}.{k}"), "must be at least 1")),
        }
    };
    let min_iter = pos("min_iter")?;
    let max_iter = pos("max_iter")?;
    let s = pos("s")?;
    let eta = num(m, "eta", at)?.unwrap_or(3.0);
    if eta <= 1.0 {
        return Err(err("early_terminate.eta", "must be greater than 1"));
    }
    if s.is_some_and(|s| s > 64) {
        return Err(err("early_terminate.s", "must be at most 64"));
    }
    match (min_iter, max_iter, s) {
        (Some(_), None, _) => {}
        (None, Some(_), Some(_)) => {}
        (None, Some(_), None) => return Err(err("early_terminate.s", "is required with max_iter")),
        (Some(_), Some(_), _) => {
            return Err(err(
                "early_terminate",
                "give min_iter, or max_iter with s, not both",
            ))
        }
        (None, None, _) => {
            return Err(err(
                "early_terminate.min_iter",
                "is required (or max_iter with s)",
            ))
        }
    }
    let strict = match m.get("strict") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(err("early_terminate.strict", "must be true or false")),
    };
    Ok(Hyperband {
        min_iter,
        max_iter,
        s: s.unwrap_or(0) as u32,
        eta,
        strict,
    })
}

fn params(p: &Map<String, Value>, at: &str) -> Result<Vec<(String, Param)>, ConfigError> {
    p.iter()
        .map(|(k, v)| {
            let here = format!("{at}.{k}");
            let Value::Object(pm) = v else {
                return Err(err(
                    &here,
                    "must be a mapping such as {values: [...]} or {min: 0, max: 1}",
                ));
            };
            if let Some(inner) = pm.get("parameters") {
                let Value::Object(inner) = inner else {
                    return Err(err(&format!("{here}.parameters"), "must be a mapping"));
                };
                if inner.is_empty() {
                    return Err(err(&format!("{here}.parameters"), "is empty"));
                }
                return Ok((
                    k.clone(),
                    Param::Nested(params(inner, &format!("{here}.parameters"))?),
                ));
            }
            Ok((k.clone(), Param::Dist(dist(pm, &here)?)))
        })
        .collect()
}

const PARAM_KEYS: &[&str] = &[
    "distribution",
    "value",
    "values",
    "probabilities",
    "min",
    "max",
    "q",
    "mu",
    "sigma",
    "a",
    "b",
    "desc",
];

fn dist(m: &Map<String, Value>, at: &str) -> Result<Dist, ConfigError> {
    if let Some(k) = m.keys().find(|k| !PARAM_KEYS.contains(&k.as_str())) {
        return Err(err(
            &format!("{at}.{k}"),
            format!(
                "is not a parameter setting (expected one of {})",
                PARAM_KEYS.join(", ")
            ),
        ));
    }
    let name: String = match m.get("distribution") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(err(&format!("{at}.distribution"), "must be a name")),
        // The client fills these in; the browser and the API infer them the same way.
        None if m.contains_key("value") => "constant".into(),
        None if m.contains_key("values") => "categorical".into(),
        None if m.contains_key("min") || m.contains_key("max") => {
            let is_int = |k: &str| m.get(k).is_some_and(|v| v.is_i64() || v.is_u64());
            if is_int("min") && is_int("max") {
                "int_uniform".into()
            } else {
                "uniform".into()
            }
        }
        None => return Err(err(at, "needs value, values, min/max or a distribution")),
    };
    let d = format!("{at}.distribution");
    let q = |m: &Map<String, Value>| -> Result<f64, ConfigError> {
        let q = num(m, "q", at)?.unwrap_or(1.0);
        if q <= 0.0 {
            return Err(err(&format!("{at}.q"), "must be greater than 0"));
        }
        Ok(q)
    };
    let range = |positive: bool| -> Result<(f64, f64), ConfigError> {
        let (min, max) = (need(m, "min", at)?, need(m, "max", at)?);
        if min >= max {
            return Err(err(
                &format!("{at}.max"),
                format!("must be greater than min ({min})"),
            ));
        }
        if !(max - min).is_finite() {
            return Err(err(at, "min and max are too far apart to draw between"));
        }
        if positive && min <= 0.0 {
            return Err(err(
                &format!("{at}.min"),
                "must be greater than 0 (these are values, not exponents)",
            ));
        }
        Ok((min, max))
    };
    let normal = || -> Result<(f64, f64), ConfigError> {
        let mu = num(m, "mu", at)?.unwrap_or(0.0);
        let sigma = num(m, "sigma", at)?.unwrap_or(1.0);
        if sigma <= 0.0 {
            return Err(err(&format!("{at}.sigma"), "must be greater than 0"));
        }
        Ok((mu, sigma))
    };
    let beta = || -> Result<(f64, f64), ConfigError> {
        let a = num(m, "a", at)?.unwrap_or(1.0);
        let b = num(m, "b", at)?.unwrap_or(1.0);
        if a <= 0.0 || b <= 0.0 {
            return Err(err(at, "beta needs a > 0 and b > 0"));
        }
        Ok((a, b))
    };
    Ok(match name.as_str() {
        "constant" => Dist::Constant(
            m.get("value")
                .cloned()
                .ok_or_else(|| err(&format!("{at}.value"), "is required for constant"))?,
        ),
        "categorical" | "categorical_w_probabilities" => {
            let values = match m.get("values") {
                Some(Value::Array(a)) if !a.is_empty() => a.clone(),
                Some(Value::Array(_)) => {
                    return Err(err(&format!("{at}.values"), "needs at least one value"))
                }
                _ => return Err(err(&format!("{at}.values"), "must be a list")),
            };
            let probabilities = match m.get("probabilities") {
                None | Some(Value::Null) => None,
                Some(Value::Array(p)) => {
                    let ps: Option<Vec<f64>> = p.iter().map(Value::as_f64).collect();
                    let key = format!("{at}.probabilities");
                    let ps = ps.ok_or_else(|| err(&key, "must be numbers"))?;
                    if ps.len() != values.len() {
                        return Err(err(
                            &key,
                            format!("has {} entries for {} values", ps.len(), values.len()),
                        ));
                    }
                    if ps.iter().any(|p| !(0.0..=1.0).contains(p)) {
                        return Err(err(&key, "each must be between 0 and 1"));
                    }
                    let sum: f64 = ps.iter().sum();
                    if (sum - 1.0).abs() > 1e-6 {
                        return Err(err(&key, format!("must sum to 1 (they sum to {sum})")));
                    }
                    Some(ps)
                }
                Some(_) => return Err(err(&format!("{at}.probabilities"), "must be a list")),
            };
            if name == "categorical_w_probabilities" && probabilities.is_none() {
                return Err(err(&format!("{at}.probabilities"), "is required"));
            }
            Dist::Categorical {
                values,
                probabilities,
            }
        }
        "int_uniform" => {
            let min = int(m, "min", at)?.ok_or_else(|| err(&format!("{at}.min"), "is required"))?;
            let max = int(m, "max", at)?.ok_or_else(|| err(&format!("{at}.max"), "is required"))?;
            if min > max {
                return Err(err(&format!("{at}.max"), format!("must be at least min ({min})")));
            }
            Dist::IntUniform { min, max }
        }
        "uniform" => {
            let (min, max) = range(false)?;
            Dist::Uniform { min, max }
        }
        "q_uniform" => {
            let (min, max) = range(false)?;
            Dist::QUniform { min, max, q: q(m)? }
        }
        "log_uniform" | "q_log_uniform" => {
            let (min, max) = range(false)?;
            let q = (name == "q_log_uniform").then(|| q(m)).transpose()?;
            Dist::LogUniform { min, max, q }
        }
        "log_uniform_values" | "q_log_uniform_values" => {
            let (min, max) = range(true)?;
            let q = (name == "q_log_uniform_values").then(|| q(m)).transpose()?;
            Dist::LogUniformValues { min, max, q }
        }
        "inv_log_uniform" => {
            let (min, max) = range(false)?;
            Dist::InvLogUniform { min, max }
        }
        "inv_log_uniform_values" => {
            let (min, max) = range(true)?;
            Dist::InvLogUniformValues { min, max }
        }
        "normal" | "q_normal" => {
            let (mu, sigma) = normal()?;
            let q = (name == "q_normal").then(|| q(m)).transpose()?;
            Dist::Normal { mu, sigma, q }
        }
        "log_normal" | "q_log_normal" => {
            let (mu, sigma) = normal()?;
            let q = (name == "q_log_normal").then(|| q(m)).transpose()?;
            Dist::LogNormal { mu, sigma, q }
        }
        "beta" | "q_beta" => {
            let (a, b) = beta()?;
            let q = (name == "q_beta").then(|| q(m)).transpose()?;
            Dist::Beta { a, b, q }
        }
        other => {
            return Err(err(
                &d,
                format!("{other:?} is not a distribution (constant, categorical, int_uniform, uniform, q_uniform, log_uniform, log_uniform_values, inv_log_uniform, inv_log_uniform_values, q_log_uniform, q_log_uniform_values, normal, q_normal, log_normal, q_log_normal, beta, q_beta)"),
            ))
        }
    })
}

#[cfg(test)]
mod tests;
