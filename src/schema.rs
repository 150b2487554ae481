//! Small constructors for tf-provider schema attributes, so resource schemas read as tables.

use std::collections::HashMap;

use tf_provider::schema::{Attribute, AttributeConstraint, AttributeType, Block, Description};

fn attribute(attr_type: AttributeType, constraint: AttributeConstraint, doc: &str) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(doc),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

pub fn required(attr_type: AttributeType, doc: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Required, doc)
}

pub fn optional(attr_type: AttributeType, doc: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Optional, doc)
}

pub fn optional_computed(attr_type: AttributeType, doc: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::OptionalComputed, doc)
}

pub fn computed(attr_type: AttributeType, doc: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Computed, doc)
}

pub fn string() -> AttributeType {
    AttributeType::String
}

pub fn string_map() -> AttributeType {
    AttributeType::Map(Box::new(AttributeType::String))
}

pub fn string_set() -> AttributeType {
    AttributeType::Set(Box::new(AttributeType::String))
}

pub fn string_list() -> AttributeType {
    AttributeType::List(Box::new(AttributeType::String))
}

/// A block from its attributes, nested blocks and markdown description.
pub fn block(
    doc: &str,
    attributes: Vec<(&str, Attribute)>,
    blocks: Vec<(&str, tf_provider::schema::NestedBlock)>,
) -> Block {
    Block {
        version: 1,
        attributes: attributes
            .into_iter()
            .map(|(name, attr)| (name.to_string(), attr))
            .collect::<HashMap<_, _>>(),
        blocks: blocks
            .into_iter()
            .map(|(name, b)| (name.to_string(), b))
            .collect(),
        description: Description::markdown(doc),
        deprecated: false,
    }
}

pub fn number() -> AttributeType {
    AttributeType::Number
}

pub fn boolean() -> AttributeType {
    AttributeType::Bool
}

/// `as_str` for owned string values of the state (tf-provider has it only for `Cow` values):
/// the text, or "" when null or unknown.
pub trait ValueStr {
    fn as_str(&self) -> &str;
}

impl ValueStr for tf_provider::value::Value<String> {
    fn as_str(&self) -> &str {
        match self {
            tf_provider::value::Value::Value(s) => s,
            _ => "",
        }
    }
}
