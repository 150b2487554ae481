//! Docs are part of the feature: every resource and data source the provider serves has a
//! registry doc page with its example; the provider page and every resource and data source page
//! documents exactly the attributes of the schema (nested blocks and objects included), each as
//! required, optional or computed as the schema says, with the default the provider really
//! applies; every import example works, config generation included; and every example
//! directory passes `terraform validate`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use acceptance::harness::{hcl, workspace_root, Stack, Terraform, REGION, REQUIRED_PROVIDERS};
use serde_json::Value;

fn provider_schema(tf: &Terraform) -> Value {
    tf.write_config("");
    let run = tf.run(&["providers", "schema", "-json"]);
    assert!(run.success(), "{}", run.output());
    let json: Value = serde_json::from_str(&run.stdout).expect("schema JSON");
    json["provider_schemas"]["registry.terraform.io/podidentity/podidentity"].clone()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The file name of the import block example beside a resource's `resource.tf`.
const IMPORT_BLOCK_EXAMPLE: &str = "import-by-string-id.tf";

/// Every page that documents a schema: (page, its block, the resource type whose planned
/// defaults apply, if it is a resource's page).
fn schema_pages(schema: &Value) -> Vec<(PathBuf, Value, Option<String>)> {
    let root = workspace_root();
    let mut pages = vec![(
        root.join("docs/index.md"),
        schema["provider"]["block"].clone(),
        None,
    )];
    for (kind, key) in [
        ("resources", "resource_schemas"),
        ("data-sources", "data_source_schemas"),
    ] {
        for (type_name, type_schema) in schema[key].as_object().expect("schemas") {
            let short = type_name.trim_start_matches("aws_");
            pages.push((
                root.join("docs").join(kind).join(format!("{short}.md")),
                type_schema["block"].clone(),
                (kind == "resources").then(|| type_name.clone()),
            ));
        }
    }
    pages
}

#[test]
fn every_type_has_a_doc_page_with_its_example() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    let schema = provider_schema(&tf);
    let root = workspace_root();
    let mut missing = Vec::new();
    for (kind, key, example_file) in [
        ("resources", "resource_schemas", "resource.tf"),
        ("data-sources", "data_source_schemas", "data-source.tf"),
    ] {
        let types = schema[key].as_object().expect("schemas");
        assert!(!types.is_empty());
        for type_name in types.keys() {
            let short = type_name.trim_start_matches("aws_");
            let page = root.join("docs").join(kind).join(format!("{short}.md"));
            if !page.exists() {
                missing.push(format!("{} has no page {}", type_name, page.display()));
                continue;
            }
            let text = read(&page);
            let mut sections = vec![
                "## Example Usage",
                "## Argument Reference",
                "## Attribute Reference",
            ];
            if kind == "resources" {
                sections.push("## Import");
            }
            for section in sections {
                if !text.contains(section) {
                    missing.push(format!("{}: no {section:?}", page.display()));
                }
            }
            let example = root
                .join("examples")
                .join(kind)
                .join(type_name)
                .join(example_file);
            let mut shown = vec![example.clone()];
            if kind == "resources" {
                shown.push(example.with_file_name(IMPORT_BLOCK_EXAMPLE));
                shown.push(example.with_file_name("import.sh"));
            }
            for file in shown {
                if !file.exists() {
                    missing.push(format!("{type_name} has no example {}", file.display()));
                } else if !text.contains(read(&file).trim()) {
                    missing.push(format!(
                        "{} does not show {}",
                        page.display(),
                        file.display()
                    ));
                }
            }
        }
    }
    let functions = schema["functions"].as_object().expect("function schemas");
    assert!(!functions.is_empty(), "the provider serves functions");
    for (name, function) in functions {
        let page = root.join("docs/functions").join(format!("{name}.md"));
        if !page.exists() {
            missing.push(format!("function {name} has no page {}", page.display()));
            continue;
        }
        let text = read(&page);
        for section in ["## Example Usage", "## Signature", "## Arguments"] {
            if !text.contains(section) {
                missing.push(format!("{}: no {section:?}", page.display()));
            }
        }
        let example = root
            .join("examples/functions")
            .join(name)
            .join("function.tf");
        if !example.exists() || !text.contains(read(&example).trim()) {
            missing.push(format!(
                "{} does not show {}",
                page.display(),
                example.display()
            ));
        }
        for parameter in function["parameters"].as_array().into_iter().flatten() {
            let parameter = parameter["name"].as_str().unwrap_or_default();
            if !text.contains(&format!("`{parameter}`")) {
                missing.push(format!(
                    "{}: argument `{parameter}` not documented",
                    page.display()
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// What the schema says of each attribute, and what a page says of it

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
}

/// One attribute, nested block or field of an object attribute, as the schema declares it.
#[derive(Debug, Clone)]
struct SchemaItem {
    kind: Kind,
    /// The default its description states, if any (`"error"` for `` `"error"` (default) ``).
    described_default: Option<String>,
}

/// Every attribute of `block` by path (`assume_role.role_arn`, `associations.role_arn`).
fn schema_items(block: &Value) -> BTreeMap<String, SchemaItem> {
    let mut items = BTreeMap::new();
    collect_schema_items(block, "", &mut items);
    items
}

fn collect_schema_items(block: &Value, prefix: &str, items: &mut BTreeMap<String, SchemaItem>) {
    for (name, attr) in block["attributes"].as_object().into_iter().flatten() {
        let kind = if attr["required"] == true {
            Kind::Required
        } else if attr["optional"] == true {
            Kind::Optional
        } else {
            Kind::Computed
        };
        let path = format!("{prefix}{name}");
        items.insert(
            path.clone(),
            SchemaItem {
                kind,
                described_default: attr["description"].as_str().and_then(described_default),
            },
        );
        // The fields of an object, or of the objects of a list or set, are documented below it.
        let ty = &attr["type"];
        let object = if ty[0] == "object" {
            &ty[1]
        } else if ty[1][0] == "object" {
            &ty[1][1]
        } else {
            &Value::Null
        };
        for field in object.as_object().into_iter().flatten().map(|(k, _)| k) {
            items.insert(
                format!("{path}.{field}"),
                SchemaItem {
                    kind,
                    described_default: None,
                },
            );
        }
    }
    for (name, nested) in block["block_types"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{name}");
        let required = nested["min_items"].as_u64().unwrap_or(0) > 0;
        items.insert(
            path.clone(),
            SchemaItem {
                kind: if required {
                    Kind::Required
                } else {
                    Kind::Optional
                },
                described_default: None,
            },
        );
        collect_schema_items(&nested["block"], &format!("{path}."), items);
    }
}

/// A default as written in docs and descriptions, compared without its quotes: `"error"`,
/// `` `"error"` `` and `error` are the same default.
fn normalized_default(text: &str) -> String {
    text.trim().trim_matches('`').trim_matches('"').to_string()
}

/// The default a schema description states: `` `"error"` (default) ``, `(default 25)`,
/// `default 1h)`, ``Default `/`.``, `Default 3600.`
fn described_default(description: &str) -> Option<String> {
    if let Some(at) = description.find("` (default)") {
        let start = description[..at].rfind('`')?;
        return Some(normalized_default(&description[start + 1..at]));
    }
    let lower = description.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("default ") {
        let at = from + found;
        from = at + "default ".len();
        let before = lower[..at].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &description[from..];
        let value = match rest.strip_prefix('`') {
            Some(quoted) => quoted.split('`').next().unwrap_or(""),
            None => rest
                .split(|c: char| c.is_whitespace() || c == ')' || c == ';' || c == ',')
                .next()
                .unwrap_or("")
                .trim_end_matches('.'),
        };
        if !value.is_empty() {
            return Some(normalized_default(value));
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Arguments,
    Attributes,
}

/// One entry of a page's Argument Reference or Attribute Reference:
/// `` * `name` - (Optional) What it is. Defaults to `X`. ``, nested entries indented below their
/// block or object.
#[derive(Debug, Clone)]
struct DocItem {
    section: Section,
    /// `(Required)` or `(Optional)` at the start of its text.
    marker: Option<Kind>,
    /// Its text, continuation lines included.
    text: String,
    line: usize,
}

impl DocItem {
    /// `` Defaults to `X` ``.
    fn default(&self) -> Option<String> {
        if self.text.contains(PROVIDER_REGION_DEFAULT) {
            return Some(PROVIDER_REGION.to_string());
        }
        let at = self.text.find("Defaults to `")?;
        let rest = &self.text[at + "Defaults to `".len()..];
        Some(normalized_default(rest.split('`').next().unwrap_or("")))
    }

    /// A mention of a default in another form than `` Defaults to `X` ``, which the test could
    /// not compare with the provider's.
    fn mentions_default_otherwise(&self) -> bool {
        let mut text = self
            .text
            .replace(PROVIDER_REGION_DEFAULT, "")
            .to_ascii_lowercase()
            .replace("default_tags", "");
        if let Some(at) = text.find("defaults to `") {
            text.replace_range(at..at + "defaults to `".len(), "");
        }
        text.match_indices("default").any(|(at, _)| {
            let before = text[..at].chars().last();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    }
}

/// The entries of a page by path, and what is malformed.
fn doc_items(page: &str) -> (BTreeMap<String, DocItem>, Vec<String>) {
    let mut items: BTreeMap<String, DocItem> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut section = None;
    // The entries the current line may be nested in: (indent, name).
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut current: Option<String> = None;
    let mut in_code = false;
    for (index, line) in page.lines().enumerate() {
        let number = index + 1;
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            section = match heading.trim() {
                "Argument Reference" => Some(Section::Arguments),
                "Attribute Reference" => Some(Section::Attributes),
                _ => None,
            };
            open.clear();
            current = None;
            continue;
        }
        let Some(section) = section else { continue };
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        let bullet = trimmed
            .strip_prefix("* ")
            .or_else(|| trimmed.strip_prefix("- "));
        match bullet {
            Some(entry) => {
                let parsed = entry.strip_prefix('`').and_then(|rest| {
                    let (name, rest) = rest.split_once('`')?;
                    Some((name, rest.strip_prefix(" - ")?))
                });
                let Some((name, text)) = parsed else {
                    problems.push(format!(
                        "line {number}: not an entry of the form \"* `name` - text\": {trimmed}"
                    ));
                    current = None;
                    continue;
                };
                while open.last().is_some_and(|(i, _)| *i >= indent) {
                    open.pop();
                }
                let path = open
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .chain([name])
                    .collect::<Vec<_>>()
                    .join(".");
                open.push((indent, name.to_string()));
                let marker = if text.starts_with("(Required") {
                    Some(Kind::Required)
                } else if text.starts_with("(Optional") {
                    Some(Kind::Optional)
                } else {
                    None
                };
                let item = DocItem {
                    section,
                    marker,
                    text: text.to_string(),
                    line: number,
                };
                if let Some(earlier) = items.insert(path.clone(), item) {
                    problems.push(format!(
                        "line {number}: `{path}` documented again (first on line {})",
                        earlier.line
                    ));
                }
                current = Some(path);
            }
            None if line.trim().is_empty() => {}
            None if indent > 0 => {
                if let Some(item) = current.as_ref().and_then(|p| items.get_mut(p)) {
                    item.text.push(' ');
                    item.text.push_str(line.trim());
                }
            }
            // A paragraph ends the lists before it.
            None => {
                open.clear();
                current = None;
            }
        }
    }
    (items, problems)
}

/// Compare what a page documents with the schema: every attribute, both ways; its section and
/// marker; and its documented default with `defaults` (what the provider applies) and with the
/// default its description states.
fn compare_page(
    page_name: &str,
    page: &str,
    schema: &BTreeMap<String, SchemaItem>,
    defaults: &BTreeMap<String, String>,
) -> Vec<String> {
    let (docs, mut problems) = doc_items(page);
    for (path, item) in schema {
        let Some(doc) = docs.get(path) else {
            problems.push(format!("`{path}` is in the schema but not documented"));
            continue;
        };
        let at = format!("`{path}` (line {})", doc.line);
        match (item.kind, doc.section) {
            (Kind::Computed, Section::Arguments) => problems.push(format!(
                "{at} is computed only: document it under Attribute Reference"
            )),
            (kind @ (Kind::Required | Kind::Optional), Section::Attributes) => problems.push(
                format!("{at} is {kind:?} in the schema: document it under Argument Reference"),
            ),
            _ => {}
        }
        match (item.kind, doc.marker) {
            (Kind::Computed, Some(marker)) => problems.push(format!(
                "{at} is computed only, but documented as {marker:?}"
            )),
            (kind @ (Kind::Required | Kind::Optional), None) => problems.push(format!(
                "{at} is {kind:?} in the schema: start its text with ({kind:?})"
            )),
            (kind, Some(marker)) if kind != marker => problems.push(format!(
                "{at} is documented as {marker:?}, but the schema says {kind:?}"
            )),
            _ => {}
        }
        if doc.section == Section::Arguments && doc.mentions_default_otherwise() {
            problems.push(format!(
                "{at} mentions a default: write it as Defaults to `X`"
            ));
        }
        let documented = doc.default();
        let applied = defaults.get(path).cloned();
        if documented != applied {
            problems.push(match (&documented, &applied) {
                (Some(d), Some(a)) => format!(
                    "{at} is documented to default to {d:?}, but the provider's default is {a:?}"
                ),
                (Some(d), None) => format!(
                    "{at} is documented to default to {d:?}, but the provider applies no default"
                ),
                (None, Some(a)) => format!(
                    "{at}: the provider's default {a:?} is not documented (write Defaults to `{a}`)"
                ),
                (None, None) => unreachable!(),
            });
        }
        if let Some(described) = &item.described_default {
            if applied.as_ref() != Some(described) {
                problems.push(format!(
                    "`{path}`: the schema description says the default is {described:?}, but the provider's is {applied:?}"
                ));
            }
        }
    }
    for (path, doc) in &docs {
        if !schema.contains_key(path) {
            problems.push(format!(
                "`{path}` (line {}) is documented but not in the schema",
                doc.line
            ));
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{page_name}: {p}"))
        .collect()
}

/// The defaults of the provider's own arguments, as it applies them: `max_retries` is
/// `DEFAULT_MAX_RETRIES` (src/aws/settings.rs); the others are what
/// `provider_defaults_are_what_the_provider_does` observes.
const PROVIDER_DEFAULTS: &[(&str, &str)] = &[
    ("max_retries", "25"),
    ("skip_credentials_validation", "false"),
    ("trust_check", "error"),
    // provider_config's an_unknown_region_fails_the_plan_naming_region shows it is false.
    ("skip_region_validation", "false"),
    // RetryMode::default(), checked by connect's retry_mode_reaches_the_sdk_configuration.
    ("retry_mode", "standard"),
    ("assume_role.session_name", "terraform-provider-podidentity"),
    // STS's default session length, used because the provider sends no DurationSeconds.
    ("assume_role.duration", "1h"),
    // As for assume_role: provider_config's assume_role_with_web_identity_* tests.
    (
        "assume_role_with_web_identity.session_name",
        "terraform-provider-podidentity",
    ),
    ("assume_role_with_web_identity.duration", "1h"),
];

/// A configuration with one block of every resource type that sets only what it must, and for
/// each type the address of its block and the arguments it sets.
fn minimal_resources() -> (BTreeMap<String, (String, BTreeSet<String>)>, String) {
    let role = hcl::role("defaults").string("name", "docs-defaults");
    let association = hcl::association("defaults", "shop-green", "app", "app-sa")
        .arg("role_arn", "aws_eks_pod_identity_role.defaults.arn");
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    let blocks = BTreeMap::from([
        (
            "aws_eks_pod_identity_role".to_string(),
            (
                "aws_eks_pod_identity_role.defaults".to_string(),
                set(&["name"]),
            ),
        ),
        (
            "aws_eks_pod_identity_association".to_string(),
            (
                "aws_eks_pod_identity_association.defaults".to_string(),
                set(&["cluster_name", "namespace", "service_account", "role_arn"]),
            ),
        ),
        (
            "aws_eks_pod_identity_agent".to_string(),
            (
                "aws_eks_pod_identity_agent.defaults".to_string(),
                set(&["cluster_name"]),
            ),
        ),
    ]);
    let agent = hcl::Block::resource("aws_eks_pod_identity_agent", "defaults")
        .string("cluster_name", "shop-green");
    (
        blocks,
        format!("{}{role}{association}{agent}", hcl::provider()),
    )
}

/// The default of each optional attribute of each resource type, as a plan of
/// [`minimal_resources`] shows it: a known value the configuration did not set.
/// How a page says that an object's `region` is the provider's when unset, and the default the
/// test compares it with: the region the stack gives terraform, as planned.
const PROVIDER_REGION_DEFAULT: &str = "Defaults to the provider's `region`.";
const PROVIDER_REGION: &str = "(the provider's region)";

fn planned_defaults(
    stack: &Stack,
    schema: &Value,
) -> (BTreeMap<String, BTreeMap<String, String>>, Vec<String>) {
    let tf = Terraform::new(stack);
    let (blocks, config) = minimal_resources();
    tf.write_config(&config);
    let plan = tf.plan_json();
    let mut problems = Vec::new();
    let mut defaults = BTreeMap::new();
    for (type_name, type_schema) in schema["resource_schemas"].as_object().expect("resources") {
        let Some((address, configured)) = blocks.get(type_name) else {
            problems.push(format!(
                "{type_name}: add it to minimal_resources() so that its defaults are checked"
            ));
            continue;
        };
        let change = plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|rc| rc["address"] == address.as_str())
            .map(|rc| rc["change"].clone())
            .unwrap_or_else(|| panic!("{address} not planned: {plan}"));
        let mut found = BTreeMap::new();
        for (name, attr) in type_schema["block"]["attributes"]
            .as_object()
            .expect("attributes")
        {
            if attr["optional"] != true || configured.contains(name) {
                continue;
            }
            if change["after_unknown"][name] == true {
                continue;
            }
            let value = match &change["after"][name] {
                Value::Null => continue,
                Value::String(s) if name == "region" && s == REGION => PROVIDER_REGION.to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            found.insert(name.clone(), value);
        }
        defaults.insert(type_name.clone(), found);
    }
    (defaults, problems)
}

#[test]
fn every_page_documents_exactly_the_schema_with_its_defaults() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    let schema = provider_schema(&tf);
    let (resource_defaults, mut problems) = planned_defaults(&stack, &schema);
    let root = workspace_root();
    for (page, block, resource_type) in schema_pages(&schema) {
        let name = page
            .strip_prefix(&root)
            .unwrap_or(&page)
            .display()
            .to_string();
        if !page.exists() {
            problems.push(format!("{name}: missing"));
            continue;
        }
        let defaults: BTreeMap<String, String> = if name == "docs/index.md" {
            PROVIDER_DEFAULTS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        } else if let Some(t) = resource_type {
            resource_defaults.get(&t).cloned().unwrap_or_default()
        } else {
            // A data source has no argument with a default but `region`, which its read fills
            // in with the provider's (checked by the `regions` tests).
            block["attributes"]
                .get("region")
                .map(|_| ("region".to_string(), PROVIDER_REGION.to_string()))
                .into_iter()
                .collect()
        };
        problems.extend(compare_page(
            &name,
            &read(&page),
            &schema_items(&block),
            &defaults,
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The defaults of [`PROVIDER_DEFAULTS`] that can be seen from outside: the session name and
/// length of `assume_role` in the AssumeRole request, the credentials checked with
/// GetCallerIdentity, and a plan refused (not warned about) when the pods would be refused.
#[test]
fn provider_defaults_are_what_the_provider_does() {
    let stack = Stack::start();
    let assumed = stack.create_pod_role("docs-assumed");
    let ec2_only = stack.create_role_with_trust(
        "docs-ec2-only",
        &serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        .to_string(),
    );
    let defaults: BTreeMap<&str, &str> = PROVIDER_DEFAULTS.iter().copied().collect();
    let tf = Terraform::new(&stack);
    let provider = hcl::provider().lines(&format!(
        "  assume_role {{\n    role_arn = \"{assumed}\"\n  }}"
    ));
    let association =
        hcl::association("refused", "shop-green", "app", "app-sa").string("role_arn", &ec2_only);
    tf.write_config(&format!("{provider}{association}"));
    stack.moto.clear_requests().expect("clear");
    let out = tf.plan_fails();

    assert_eq!(defaults["trust_check"], "error");
    assert!(
        out.contains("would be refused credentials"),
        "trust_check = \"error\" by default: the plan fails: {out}"
    );
    let assume = stack.moto.request_params("AssumeRole").expect("recording");
    assert_eq!(assume.len(), 1, "{assume:?}");
    assert_eq!(
        assume[0].get("RoleSessionName").map(String::as_str),
        Some(defaults["assume_role.session_name"]),
        "{assume:?}"
    );
    assert_eq!(defaults["assume_role.duration"], "1h");
    assert_eq!(
        assume[0].get("DurationSeconds"),
        None,
        "no DurationSeconds: STS's default of one hour applies"
    );
    assert_eq!(defaults["skip_credentials_validation"], "false");
    let sts = stack.moto.actions("sts").expect("recording");
    assert!(
        sts.contains(&"GetCallerIdentity".to_string()),
        "credentials checked at configure by default: {sts:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Import blocks

/// The import block example of each resource: it says `provider = podidentity` (Terraform would
/// give an `aws_*` type to hashicorp/aws), and with it, alone in a configuration,
/// `-generate-config-out` writes a resource block that says so too and imports with an empty
/// plan afterwards.
#[test]
fn every_import_block_example_generates_its_configuration() {
    let stack = Stack::start();
    stack.create_cluster("shop-green");
    let common = Terraform::new(&stack);
    let role = hcl::role("shared").string("name", "shop-dynamodb-read");
    let association = hcl::association("carts", "shop-green", "carts", "carts")
        .arg("role_arn", "aws_eks_pod_identity_role.shared.arn");
    let agent = hcl::Block::resource("aws_eks_pod_identity_agent", "this")
        .string("cluster_name", "shop-green");
    common.write_config(&format!("{}{role}{association}{agent}", hcl::provider()));
    common.apply();

    let root = workspace_root();
    let mut failures = Vec::new();
    for dir in std::fs::read_dir(root.join("examples/resources")).expect("examples") {
        let file = dir.expect("entry").path().join(IMPORT_BLOCK_EXAMPLE);
        let Ok(example) = std::fs::read_to_string(&file) else {
            failures.push(format!("{} is missing", file.display()));
            continue;
        };
        if !squeezed(&example).contains("provider = podidentity") {
            failures.push(format!(
                "{}: the import block does not say provider = podidentity",
                file.display()
            ));
            continue;
        }
        let tf = Terraform::new(&stack);
        tf.write_file("terraform.tf", REQUIRED_PROVIDERS);
        tf.write_file("import.tf", &example);
        let run = tf.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
        if !run.success() {
            failures.push(format!("{}:\n{}", file.display(), run.output()));
            continue;
        }
        let generated = read(&tf.dir().join("generated.tf"));
        if !squeezed(&generated).contains("provider = podidentity") {
            failures.push(format!(
                "{}: the generated block does not say provider = podidentity:\n{generated}",
                file.display()
            ));
            continue;
        }
        tf.apply();
        if !tf.plan_is_empty() {
            failures.push(format!(
                "{}: the plan after the import is not empty:\n{}",
                file.display(),
                tf.plan().output()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `text` with every run of spaces made one space.
fn squeezed(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// The parsers themselves

#[test]
fn descriptions_and_doc_lines_give_their_defaults() {
    for (description, default) in [
        ("Attempts the SDK retries (default 25).", Some("25")),
        ("Skip it (default false).", Some("false")),
        (
            "What: `\"error\"` (default) fails the plan, `\"warn\"` warns.",
            Some("error"),
        ),
        (
            "Session length such as `1h` (15m–12h; default 1h).",
            Some("1h"),
        ),
        (
            "IAM path of the role. Default `/`. Changing it replaces it.",
            Some("/"),
        ),
        (
            "Maximum session duration in seconds. Default 3600.",
            Some("3600"),
        ),
        ("Tags merged over the provider's `default_tags`.", None),
    ] {
        assert_eq!(
            described_default(description).as_deref(),
            default,
            "{description}"
        );
    }
    let page = "## Argument Reference\n\n\
        * `region` - (Optional) The region.\n\
        * `max_retries` - (Optional) Retries (0–100). Defaults to\n  `25`.\n\
        * `assume_role` - (Optional) A block:\n  \
          * `role_arn` - (Required) ARN.\n  \
          * `duration` - (Optional) Length (default 1h).\n\
        * `default_tags` - (Optional) Tags.\n\n\
        ## Attribute Reference\n\n\
        * `items` - The items. Each has:\n  * `id` - Its ID.\n\n\
        ## Import\n\n* `ignored` - not a reference entry\n";
    let (items, problems) = doc_items(page);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        items.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "assume_role",
            "assume_role.duration",
            "assume_role.role_arn",
            "default_tags",
            "items",
            "items.id",
            "max_retries",
            "region"
        ]
    );
    assert_eq!(items["max_retries"].default().as_deref(), Some("25"));
    assert!(!items["max_retries"].mentions_default_otherwise());
    assert!(items["assume_role.duration"].mentions_default_otherwise());
    assert!(!items["default_tags"].mentions_default_otherwise());
    assert_eq!(items["assume_role.role_arn"].marker, Some(Kind::Required));
    assert_eq!(items["items.id"].section, Section::Attributes);
    assert_eq!(items["items.id"].marker, None);
}

fn example_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut stack = vec![workspace_root().join("examples")];
    while let Some(dir) = stack.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir).expect("examples").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            dirs.push(dir);
        }
    }
    dirs.sort();
    dirs
}

#[test]
fn every_example_directory_passes_terraform_validate() {
    let stack = Stack::start();
    let dirs = example_dirs();
    assert!(dirs.len() >= 8, "{dirs:?}");
    let mut failures = Vec::new();
    for dir in &dirs {
        let tf = Terraform::new(&stack);
        tf.copy_config_from(dir);
        let has_block = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .any(|e| read(&e.path()).contains("required_providers"));
        if !has_block {
            // Registry examples show only the resource; the provider requirement is implied.
            tf.write_file("terraform.tf", REQUIRED_PROVIDERS);
        }
        let run = tf.validate();
        if !run.success() {
            failures.push(format!("{}:\n{}", dir.display(), run.output()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
