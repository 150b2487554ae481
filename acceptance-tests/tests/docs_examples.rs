//! Docs are part of the feature: every resource and data source the provider serves has a
//! registry doc page with its example, and every example directory passes `terraform validate`.

use std::path::{Path, PathBuf};

use acceptance::harness::{workspace_root, Stack, Terraform, REQUIRED_PROVIDERS};
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
        for (type_name, type_schema) in types {
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
            if !example.exists() {
                missing.push(format!("{type_name} has no example {}", example.display()));
            } else if !text.contains(read(&example).trim()) {
                missing.push(format!(
                    "{} does not show {}",
                    page.display(),
                    example.display()
                ));
            }
            if kind == "resources" {
                let import = example.with_file_name("import.sh");
                if !import.exists() || !text.contains(read(&import).trim()) {
                    missing.push(format!(
                        "{} does not show {}",
                        page.display(),
                        import.display()
                    ));
                }
            }
            // Every attribute of the schema is documented.
            for attr in type_schema["block"]["attributes"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                if !text.contains(&format!("`{attr}`")) {
                    missing.push(format!(
                        "{}: attribute `{attr}` not documented",
                        page.display()
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
    let index = read(&root.join("docs/index.md"));
    for attr in schema["provider"]["block"]["attributes"]
        .as_object()
        .expect("provider attrs")
        .keys()
    {
        if !index.contains(&format!("`{attr}`")) {
            missing.push(format!(
                "docs/index.md: provider argument `{attr}` not documented"
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
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
