//! A small GraphQL executor for the operations the wandb client sends.
//!
//! There is no schema: a [`Resolver`] answers one field of one object at a time, and
//! the executor walks the selection set (fragments, inline fragments, aliases,
//! `@include`/`@skip`) and builds the JSON answer. That makes it as lenient as the
//! client needs (PROTOCOL.md §3, §12): no `operationName` is required, `#` comments
//! are fine, undeclared extra variables and `null` input keys are ignored, and a field
//! Cairn does not know answers `null` instead of failing the whole request.
//!
//! Work is bounded, so one request cannot hold a runtime worker: the query text is
//! at most [`MAX_QUERY_BYTES`], one object at most [`MAX_FIELDS_PER_OBJECT`] selected
//! fields (after fragments are expanded), and a whole answer at most
//! [`MAX_FIELDS_PER_QUERY`] completed fields. Collecting fields is linear (a map
//! from response key to position), and the executor yields to the scheduler as it
//! goes (tokio's cooperative budget). The client's largest operations use a few
//! hundred fields.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use graphql_parser::query as q;
use serde_json::{Map, Value};

/// A boxed future, for the executor's and resolvers' recursion.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

pub type Document = q::Document<'static, String>;
type SelectionSet = q::SelectionSet<'static, String>;
type Field = q::Field<'static, String>;

/// A field's arguments, evaluated (variables substituted) to JSON.
#[derive(Debug, Default, Clone)]
pub struct Args(pub Map<String, Value>);

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| match v {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            // Int64 arrives as a string from some clients.
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// A list of strings (`null` entries dropped); `None` when absent or null.
    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
    }

    /// An input object argument (`input: {…}`) as its own `Args`.
    pub fn object(&self, name: &str) -> Args {
        Args(
            self.get(name)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        )
    }
}

/// What resolving a field gives: plain JSON (projected onto the selection when it is
/// an object or a list of objects), an object whose fields are resolved on demand,
/// a list of values, or an object assembled from other values.
#[derive(Clone)]
pub enum Val<O> {
    Json(Value),
    Obj(O),
    List(Vec<Val<O>>),
    /// An object made of values; `__typename` comes from `typename`.
    Map(&'static str, Vec<(&'static str, Val<O>)>),
}

impl<O> Val<O> {
    pub fn null() -> Self {
        Val::Json(Value::Null)
    }

    pub fn json(v: impl Into<Value>) -> Self {
        Val::Json(v.into())
    }

    /// `Obj(o)` for `Some(o)`, `null` otherwise.
    pub fn opt(o: Option<O>) -> Self {
        o.map_or(Val::null(), Val::Obj)
    }
}

/// How a failed field ends the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `{"errors": [...]}` with HTTP 200: the client reports the message.
    Client(String),
    /// HTTP status with the message (401 for a bad key, 5xx for server trouble the
    /// client should retry).
    Http(u16, String),
}

/// Answers fields of the objects of one schema.
pub trait Resolver: Sync {
    type Obj: Send + Sync + Clone;

    /// The object's GraphQL type name (`__typename`).
    fn typename(&self, obj: &Self::Obj) -> &'static str;

    /// One field of `obj`.
    fn field<'a>(
        &'a self,
        obj: &'a Self::Obj,
        name: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<Val<Self::Obj>, Failure>>;
}

/// The kind of the operation being executed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpKind {
    Query,
    Mutation,
}

/// An operation picked out of a parsed document, with its variables resolved.
pub struct Operation<'d> {
    pub kind: OpKind,
    pub name: Option<&'d str>,
    selection: &'d SelectionSet,
    fragments: HashMap<&'d str, &'d q::FragmentDefinition<'static, String>>,
    variables: Map<String, Value>,
    /// Fields completed so far (see [`MAX_FIELDS_PER_QUERY`]).
    work: AtomicUsize,
}

/// The fields selected on one object, by response key in first-seen order; a key
/// selected twice (directly and through a fragment) keeps all its fields so their
/// sub-selections merge.
#[derive(Default)]
struct Collected<'s> {
    keys: Vec<(&'s str, Vec<&'s Field>)>,
    position: HashMap<&'s str, usize>,
    /// Fields seen, repeats included.
    seen: usize,
    /// Fragments already expanded into this object.
    expanded: HashSet<&'s str>,
}

/// Longest query text accepted (the client's longest is a few kilobytes).
pub const MAX_QUERY_BYTES: usize = 256 * 1024;
/// Most fields selected on one object, fragments expanded, repeats counted.
pub const MAX_FIELDS_PER_OBJECT: usize = 1_000;
/// Most fields one answer may complete, over all objects and list items.
pub const MAX_FIELDS_PER_QUERY: usize = 200_000;

/// Parse a request's query text.
pub fn parse(query: &str) -> Result<Document, String> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "the GraphQL query has {} bytes; at most {MAX_QUERY_BYTES} are accepted",
            query.len()
        ));
    }
    q::parse_query::<String>(query)
        .map(|d| d.into_static())
        .map_err(|e| format!("could not parse the GraphQL query: {e}"))
}

/// The operation to run: the one named `operation_name`, or the only one in the
/// document when no name is given (the Python client sends none). Declared variables
/// missing from `variables` take their defaults; extra ones are kept but unused.
pub fn operation<'d>(
    doc: &'d Document,
    operation_name: Option<&str>,
    mut variables: Map<String, Value>,
) -> Result<Operation<'d>, String> {
    let mut ops = Vec::new();
    let mut fragments = HashMap::new();
    for def in &doc.definitions {
        match def {
            q::Definition::Operation(op) => ops.push(op),
            q::Definition::Fragment(f) => {
                fragments.insert(f.name.as_str(), f);
            }
        }
    }
    let wanted = operation_name.filter(|n| !n.is_empty());
    let pick = match wanted {
        Some(name) => ops
            .iter()
            .find(|op| name_of(op) == Some(name))
            .or_else(|| (ops.len() == 1).then(|| &ops[0])),
        None if ops.len() == 1 => Some(&ops[0]),
        None => None,
    };
    let Some(op) = pick else {
        return Err(match (wanted, ops.len()) {
            (_, 0) => "the document has no operation".to_owned(),
            (Some(n), _) => format!("the document has no operation named {n:?}"),
            (None, n) => format!("the document has {n} operations; name one in operationName"),
        });
    };
    let (kind, defs, selection) = match op {
        q::OperationDefinition::SelectionSet(s) => (OpKind::Query, &[][..], s),
        q::OperationDefinition::Query(x) => {
            (OpKind::Query, &x.variable_definitions[..], &x.selection_set)
        }
        q::OperationDefinition::Mutation(x) => (
            OpKind::Mutation,
            &x.variable_definitions[..],
            &x.selection_set,
        ),
        q::OperationDefinition::Subscription(_) => {
            return Err("subscriptions are not supported".to_owned())
        }
    };
    for def in defs {
        // Input coercion: a single value given for a variable declared as a list is
        // a list of that one value (the wandb agent sends `specs` as one string).
        if is_list_type(&def.var_type) {
            if let Some(v) = variables.get_mut(&def.name) {
                if !v.is_null() && !v.is_array() {
                    *v = Value::Array(vec![v.take()]);
                }
            }
        }
        let present = variables.get(&def.name).is_some_and(|v| !v.is_null());
        if !present {
            if let Some(default) = &def.default_value {
                let v = to_json(default, &Map::new());
                variables.insert(def.name.clone(), v);
            }
        }
    }
    Ok(Operation {
        kind,
        name: name_of(op),
        selection,
        fragments,
        variables,
        work: AtomicUsize::new(0),
    })
}

fn is_list_type(t: &q::Type<'static, String>) -> bool {
    match t {
        q::Type::ListType(_) => true,
        q::Type::NonNullType(inner) => is_list_type(inner),
        q::Type::NamedType(_) => false,
    }
}

fn name_of<'d>(op: &'d q::OperationDefinition<'static, String>) -> Option<&'d str> {
    match op {
        q::OperationDefinition::Query(x) => x.name.as_deref(),
        q::OperationDefinition::Mutation(x) => x.name.as_deref(),
        q::OperationDefinition::Subscription(x) => x.name.as_deref(),
        q::OperationDefinition::SelectionSet(_) => None,
    }
}

/// A literal or variable as JSON.
fn to_json(v: &q::Value<'static, String>, vars: &Map<String, Value>) -> Value {
    match v {
        q::Value::Variable(name) => vars.get(name).cloned().unwrap_or(Value::Null),
        q::Value::Int(n) => n.as_i64().map_or(Value::Null, Value::from),
        q::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        q::Value::String(s) => Value::String(s.clone()),
        q::Value::Boolean(b) => Value::Bool(*b),
        q::Value::Null => Value::Null,
        q::Value::Enum(e) => Value::String(e.clone()),
        q::Value::List(items) => Value::Array(items.iter().map(|i| to_json(i, vars)).collect()),
        q::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, vars)))
                .collect(),
        ),
    }
}

/// Type names Cairn answers with; a fragment on one of them applies only to objects
/// of that type. Conditions on other names (interfaces such as
/// `ArtifactCollection`) apply to every object.
const CONCRETE_TYPES: &[&str] = &[
    "Artifact",
    "ArtifactSequence",
    "ArtifactPortfolio",
    "ArtifactCollectionMembership",
    "ArtifactAlias",
    "Project",
    "Run",
    "User",
    "Entity",
    "File",
    "Sweep",
    "Agent",
];

fn applies(condition: Option<&q::TypeCondition<'static, String>>, typename: &str) -> bool {
    match condition {
        None => true,
        Some(q::TypeCondition::On(t)) => t == typename || !CONCRETE_TYPES.contains(&t.as_str()),
    }
}

impl<'d> Operation<'d> {
    /// Whether `@include(if:)` / `@skip(if:)` keep a selection.
    fn kept(&self, directives: &[q::Directive<'static, String>]) -> bool {
        directives.iter().all(|d| {
            let cond = d
                .arguments
                .iter()
                .find(|(n, _)| n == "if")
                .map(|(_, v)| to_json(v, &self.variables).as_bool().unwrap_or(false));
            match (d.name.as_str(), cond) {
                ("include", Some(c)) => c,
                ("skip", Some(c)) => !c,
                _ => true,
            }
        })
    }

    /// Add the fields `set` selects on an object of `typename` to `out`.
    fn collect<'s>(
        &'s self,
        set: &'s SelectionSet,
        typename: &str,
        out: &mut Collected<'s>,
    ) -> Result<(), Failure> {
        for sel in &set.items {
            match sel {
                q::Selection::Field(f) => {
                    if !self.kept(&f.directives) {
                        continue;
                    }
                    out.seen += 1;
                    if out.seen > MAX_FIELDS_PER_OBJECT {
                        return Err(Failure::Client(format!(
                            "the query selects more than {MAX_FIELDS_PER_OBJECT} fields on one object"
                        )));
                    }
                    let key = f.alias.as_deref().unwrap_or(&f.name);
                    match out.position.get(key) {
                        Some(&at) => out.keys[at].1.push(f),
                        None => {
                            out.position.insert(key, out.keys.len());
                            out.keys.push((key, vec![f]));
                        }
                    }
                }
                q::Selection::FragmentSpread(s) => {
                    if !self.kept(&s.directives) {
                        continue;
                    }
                    // Each fragment is expanded once per selection set, as the spec's
                    // CollectFields does: a fragment spread twice (or in a cycle) costs
                    // nothing more, so a crafted query cannot blow up.
                    let name = s.fragment_name.as_str();
                    if !out.expanded.insert(name) {
                        continue;
                    }
                    if let Some(frag) = self.fragments.get(name) {
                        if applies(Some(&frag.type_condition), typename) {
                            self.collect(&frag.selection_set, typename, out)?;
                        }
                    }
                }
                q::Selection::InlineFragment(i) => {
                    if self.kept(&i.directives) && applies(i.type_condition.as_ref(), typename) {
                        self.collect(&i.selection_set, typename, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Count `n` more completed fields against [`MAX_FIELDS_PER_QUERY`].
    fn spend(&self, n: usize) -> Result<(), Failure> {
        let before = self.work.fetch_add(n, Ordering::Relaxed);
        if before + n > MAX_FIELDS_PER_QUERY {
            return Err(Failure::Client(format!(
                "the answer would have more than {MAX_FIELDS_PER_QUERY} fields; ask for fewer (page through lists)"
            )));
        }
        Ok(())
    }

    /// Run the operation from `root` (the query or mutation root object).
    pub async fn execute<R: Resolver>(&self, resolver: &R, root: R::Obj) -> Result<Value, Failure> {
        self.complete(resolver, Val::Obj(root), vec![self.selection])
            .await
    }

    /// Turn a resolved value into JSON for the given (merged) selection sets.
    fn complete<'s, R: Resolver>(
        &'s self,
        r: &'s R,
        val: Val<R::Obj>,
        sets: Vec<&'s SelectionSet>,
    ) -> BoxFuture<'s, Result<Value, Failure>> {
        Box::pin(async move {
            let has_selection = sets.iter().any(|s| !s.items.is_empty());
            match val {
                Val::Json(v) if !has_selection => Ok(v),
                Val::Json(Value::Array(items)) => {
                    self.spend(items.len())?;
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.complete(r, Val::Json(item), sets.clone()).await?);
                    }
                    Ok(Value::Array(out))
                }
                Val::Json(Value::Object(map)) => {
                    let typename = map
                        .get("__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let mut out = Map::new();
                    for (key, fields) in self.fields(&sets, &typename).await? {
                        let name = fields[0].name.as_str();
                        let v = map.get(name).cloned().unwrap_or(Value::Null);
                        let v = self.complete(r, Val::Json(v), sub_sets(&fields)).await?;
                        out.insert(key.to_owned(), v);
                    }
                    Ok(Value::Object(out))
                }
                Val::Json(other) => Ok(other),
                Val::List(items) => {
                    self.spend(items.len())?;
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.complete(r, item, sets.clone()).await?);
                    }
                    Ok(Value::Array(out))
                }
                Val::Map(typename, entries) => {
                    let mut out = Map::new();
                    for (key, fields) in self.fields(&sets, typename).await? {
                        let name = fields[0].name.as_str();
                        let v = if name == "__typename" {
                            Val::json(typename)
                        } else {
                            entries
                                .iter()
                                .find(|(k, _)| *k == name)
                                .map_or(Val::null(), |(_, v)| v.clone())
                        };
                        out.insert(
                            key.to_owned(),
                            self.complete(r, v, sub_sets(&fields)).await?,
                        );
                    }
                    Ok(Value::Object(out))
                }
                Val::Obj(obj) => {
                    let typename = r.typename(&obj);
                    let mut out = Map::new();
                    for (key, fields) in self.fields(&sets, typename).await? {
                        let f = fields[0];
                        let v = if f.name == "__typename" {
                            Val::json(typename)
                        } else {
                            let args = Args(
                                f.arguments
                                    .iter()
                                    .map(|(n, v)| (n.clone(), to_json(v, &self.variables)))
                                    .collect(),
                            );
                            r.field(&obj, &f.name, args).await?
                        };
                        out.insert(
                            key.to_owned(),
                            self.complete(r, v, sub_sets(&fields)).await?,
                        );
                    }
                    Ok(Value::Object(out))
                }
            }
        })
    }

    /// The fields the merged `sets` select on an object of `typename`, counted against
    /// the query's budget; yields to the scheduler now and then.
    async fn fields<'s>(
        &'s self,
        sets: &[&'s SelectionSet],
        typename: &str,
    ) -> Result<Vec<(&'s str, Vec<&'s Field>)>, Failure> {
        let mut out = Collected::default();
        for set in sets {
            self.collect(set, typename, &mut out)?;
        }
        self.spend(out.seen.max(1))?;
        tokio::task::coop::consume_budget().await;
        Ok(out.keys)
    }
}

fn sub_sets<'s>(fields: &[&'s Field]) -> Vec<&'s SelectionSet> {
    fields.iter().map(|f| &f.selection_set).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A toy schema: the root has `thing(id)` and `things`, a thing has `id`,
    /// `name`, `tags` and `child` (another thing).
    struct Toy;

    #[derive(Clone)]
    enum Obj {
        Root,
        Thing(i64),
    }

    impl Resolver for Toy {
        type Obj = Obj;

        fn typename(&self, obj: &Obj) -> &'static str {
            match obj {
                Obj::Root => "Query",
                Obj::Thing(_) => "Thing",
            }
        }

        fn field<'a>(
            &'a self,
            obj: &'a Obj,
            name: &'a str,
            args: Args,
        ) -> BoxFuture<'a, Result<Val<Obj>, Failure>> {
            Box::pin(async move {
                Ok(match (obj, name) {
                    (Obj::Root, "thing") => match args.i64("id") {
                        Some(id) if id >= 0 => Val::Obj(Obj::Thing(id)),
                        Some(_) => return Err(Failure::Client("negative id".into())),
                        None => Val::null(),
                    },
                    (Obj::Root, "things") => {
                        Val::List(vec![Val::Obj(Obj::Thing(1)), Val::Obj(Obj::Thing(2))])
                    }
                    (Obj::Thing(id), "id") => Val::json(*id),
                    (Obj::Thing(id), "name") => Val::json(format!("thing-{id}")),
                    (Obj::Thing(_), "meta") => {
                        Val::json(json!({"__typename": "Meta", "a": 1, "b": {"c": 2}}))
                    }
                    (Obj::Thing(id), "child") => Val::Obj(Obj::Thing(id + 1)),
                    (Obj::Thing(_), "edges") => Val::Map(
                        "Connection",
                        vec![("count", Val::json(2)), ("first", Val::Obj(Obj::Thing(9)))],
                    ),
                    _ => Val::null(),
                })
            })
        }
    }

    async fn run(query: &str, vars: Value) -> Result<Value, Failure> {
        let doc = parse(query).map_err(Failure::Client)?;
        let vars = vars.as_object().cloned().unwrap_or_default();
        let op = operation(&doc, None, vars).map_err(Failure::Client)?;
        op.execute(&Toy, Obj::Root).await
    }

    #[tokio::test]
    async fn comments_fragments_aliases_and_typenames() {
        let q = "#graphql\n# a comment line\nquery ($id: Int!) { t: thing(id: $id) { __typename ...F child { id } } }\n\
                 fragment F on Thing { id name child { name } }";
        let out = run(q, json!({"id": 4, "usedAs": null})).await.unwrap();
        assert_eq!(
            out,
            json!({"t": {"__typename": "Thing", "id": 4, "name": "thing-4", "child": {"name": "thing-5", "id": 5}}})
        );
    }

    #[test]
    fn a_single_value_for_a_declared_list_becomes_a_list() {
        let doc =
            parse("query Q($specs: [JSONString!]!, $one: String, $many: [Int]) { things { id } }")
                .unwrap();
        let vars = json!({"specs": "{}", "one": "x", "many": [1, 2]});
        let op = operation(&doc, None, vars.as_object().cloned().unwrap()).unwrap();
        assert_eq!(op.variables["specs"], json!(["{}"]));
        assert_eq!(op.variables["one"], json!("x"));
        assert_eq!(op.variables["many"], json!([1, 2]));
    }

    #[tokio::test]
    async fn include_skip_defaults_and_json_projection() {
        let q = "query Q($yes: Boolean = true, $no: Boolean = false) { thing(id: 1) { \
                 id @include(if: $no) name @include(if: $yes) meta { a b { c } zz } \
                 ... on Project { id } ... on SomeInterface { name } edges { count first { id } __typename } } }";
        let out = run(q, json!({})).await.unwrap();
        assert_eq!(
            out,
            json!({"thing": {"name": "thing-1", "meta": {"a": 1, "b": {"c": 2}, "zz": null},
                   "edges": {"count": 2, "first": {"id": 9}, "__typename": "Connection"}}})
        );
    }

    #[tokio::test]
    async fn lists_unknown_fields_and_errors() {
        let out = run("{ things { id nope } thing { id } }", json!({}))
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"things": [{"id": 1, "nope": null}, {"id": 2, "nope": null}], "thing": null})
        );
        let err = run("{ thing(id: -1) { id } }", json!({}))
            .await
            .unwrap_err();
        assert_eq!(err, Failure::Client("negative id".into()));
    }

    #[tokio::test]
    async fn repeated_and_cyclic_fragments_expand_once() {
        // Without a visited set this would expand 2^40 times.
        let mut q = String::from("{ ...F0 }\n");
        for i in 0..40 {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} things {{ id }} }}\n",
                i + 1,
                i + 1
            ));
        }
        q.push_str("fragment F40 on Query { ...F0 thing(id: 3) { id } }\n");
        let out = run(&q, json!({})).await.unwrap();
        assert_eq!(
            out,
            json!({"things": [{"id": 1}, {"id": 2}], "thing": {"id": 3}})
        );
    }

    #[tokio::test]
    async fn one_field_under_two_aliases() {
        let out = run(
            "{ thing(id: 1) { edges { a: count b: count } } }",
            json!({}),
        )
        .await
        .unwrap();
        assert_eq!(out, json!({"thing": {"edges": {"a": 2, "b": 2}}}));
    }

    #[tokio::test]
    async fn alias_bombs_end_in_a_clear_error() {
        // 80,000 aliases of one field on one object: refused by the per-object cap
        // after the first thousand, without comparing each with all the others.
        let mut q = String::from("{ thing(id: 1) { ");
        for i in 0..80_000 {
            q.push_str(&format!("a{i}: name "));
        }
        q.push_str("} }");
        assert!(q.len() > MAX_QUERY_BYTES);
        assert!(parse(&q).unwrap_err().contains("at most"));
        let mut q = String::from("{ thing(id: 1) { ");
        for i in 0..1_001 {
            q.push_str(&format!("a{i}: name "));
        }
        q.push_str("} }");
        let err = run(&q, json!({})).await.unwrap_err();
        assert!(
            matches!(&err, Failure::Client(m) if m.contains("more than 1000 fields")),
            "{err:?}"
        );
        // The same field repeated under one key counts too.
        let q = format!("{{ thing(id: 1) {{ {} }} }}", "name ".repeat(1_001));
        assert!(run(&q, json!({})).await.is_err());
        // Many objects under the per-object cap still end at the query's budget:
        // 300 aliases of a list of two things, each with 999 fields (a fragment keeps
        // the text small).
        let inner: String = (0..999).map(|i| format!("f{i}: id ")).collect();
        let outer: String = (0..300)
            .map(|i| format!("t{i}: things {{ ...F }} "))
            .collect();
        let q = format!("{{ {outer} }}\nfragment F on Thing {{ {inner} }}");
        assert!(q.len() < MAX_QUERY_BYTES);
        let err = run(&q, json!({})).await.unwrap_err();
        assert!(
            matches!(&err, Failure::Client(m) if m.contains("ask for fewer")),
            "{err:?}"
        );
        // A thousand fields exactly is fine.
        let ok: String = (0..1_000).map(|i| format!("a{i}: name ")).collect();
        let out = run(&format!("{{ thing(id: 1) {{ {ok} }} }}"), json!({}))
            .await
            .unwrap();
        assert_eq!(out["thing"]["a999"], "thing-1");
    }

    #[test]
    fn picks_the_named_or_only_operation() {
        let doc = parse("query A { x } query B { y }").unwrap();
        assert!(operation(&doc, None, Map::new()).is_err());
        assert_eq!(
            operation(&doc, Some("B"), Map::new()).unwrap().name,
            Some("B")
        );
        let one = parse("mutation M { x }").unwrap();
        let op = operation(&one, Some(""), Map::new()).unwrap();
        assert_eq!(op.kind, OpKind::Mutation);
        assert!(parse("query {").is_err());
    }
}
