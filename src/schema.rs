//! Schemas declared as tables: each attribute with its type and description, the check its
//! configured value must pass, and how a plan treats it. [`crate::rules`] applies what is
//! declared here, the same way for every resource and data source.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Visitor};
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};

/// A check of one configured string: `Err` holds a sentence saying what is allowed.
pub type TextCheck = fn(&str) -> Result<(), String>;

/// A check of one configured number.
pub type NumberCheck = fn(i64) -> Result<(), String>;

/// One attribute of a schema: what Terraform is told about it, and the rules the provider
/// applies to it.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: &'static str,
    pub attribute: Attribute,
    pub rules: Rules,
}

/// What the provider does with an attribute beyond its type (see [`crate::rules`]).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// A change of the value replaces the object.
    pub requires_replace: bool,
    /// The value planned when the configuration leaves it null.
    pub default: Option<DefaultValue>,
    /// A computed value that, once known, only changes with the object: a create plans it
    /// unknown, an update keeps the prior value unless the configuration sets one.
    pub use_state_for_unknown: bool,
    /// Another attribute that cannot be set together with this one, and what to do instead.
    pub conflicts_with: Option<(&'static str, &'static str)>,
    /// What a known configured value must satisfy.
    pub check: Option<ValueCheck>,
}

/// A default value, of the attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    Bool(bool),
    Number(i64),
    String(&'static str),
}

impl From<bool> for DefaultValue {
    fn from(b: bool) -> Self {
        DefaultValue::Bool(b)
    }
}

impl From<i64> for DefaultValue {
    fn from(n: i64) -> Self {
        DefaultValue::Number(n)
    }
}

impl From<&'static str> for DefaultValue {
    fn from(s: &'static str) -> Self {
        DefaultValue::String(s)
    }
}

/// How a configured value is checked. Unknown values are skipped until they are known.
#[derive(Clone, Copy)]
pub enum ValueCheck {
    /// A string, or each string of a set or list.
    Text(TextCheck),
    /// A number.
    Number(NumberCheck),
    /// Each key and each value of a map; the label names what a value is ("document").
    Map {
        key: TextCheck,
        value: TextCheck,
        value_label: &'static str,
    },
    /// AWS resource tags, counted together with the provider's `default_tags`.
    Tags,
}

impl fmt::Debug for ValueCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueCheck::Text(_) => "Text",
            ValueCheck::Number(_) => "Number",
            ValueCheck::Map { .. } => "Map",
            ValueCheck::Tags => "Tags",
        })
    }
}

fn attr(
    name: &'static str,
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    doc: &str,
) -> Attr {
    Attr {
        name,
        attribute: Attribute {
            attr_type,
            description: Description::markdown(doc),
            constraint,
            sensitive: false,
            deprecated: false,
        },
        rules: Rules::default(),
    }
}

pub fn required(name: &'static str, attr_type: AttributeType, doc: &str) -> Attr {
    attr(name, attr_type, AttributeConstraint::Required, doc)
}

pub fn optional(name: &'static str, attr_type: AttributeType, doc: &str) -> Attr {
    attr(name, attr_type, AttributeConstraint::Optional, doc)
}

pub fn optional_computed(name: &'static str, attr_type: AttributeType, doc: &str) -> Attr {
    attr(name, attr_type, AttributeConstraint::OptionalComputed, doc)
}

pub fn computed(name: &'static str, attr_type: AttributeType, doc: &str) -> Attr {
    attr(name, attr_type, AttributeConstraint::Computed, doc)
}

impl Attr {
    /// The value is a secret: Terraform hides it in plans and output.
    pub fn sensitive(mut self) -> Self {
        self.attribute.sensitive = true;
        self
    }

    /// A change of the value replaces the object.
    pub fn replace(mut self) -> Self {
        self.rules.requires_replace = true;
        self
    }

    /// The value planned when the configuration leaves it null.
    pub fn default(mut self, value: impl Into<DefaultValue>) -> Self {
        self.rules.default = Some(value.into());
        self
    }

    /// See [`Rules::use_state_for_unknown`].
    pub fn use_state_for_unknown(mut self) -> Self {
        self.rules.use_state_for_unknown = true;
        self
    }

    /// Refuse a configuration that sets both this attribute and `other`; `detail` says what to
    /// do instead.
    pub fn conflicts_with(mut self, other: &'static str, detail: &'static str) -> Self {
        self.rules.conflicts_with = Some((other, detail));
        self
    }

    /// Check a string, or each string of a set or list.
    pub fn check(mut self, check: TextCheck) -> Self {
        self.rules.check = Some(ValueCheck::Text(check));
        self
    }

    pub fn check_number(mut self, check: NumberCheck) -> Self {
        self.rules.check = Some(ValueCheck::Number(check));
        self
    }

    /// Check each key and value of a map.
    pub fn check_map(
        mut self,
        key: TextCheck,
        value: TextCheck,
        value_label: &'static str,
    ) -> Self {
        self.rules.check = Some(ValueCheck::Map {
            key,
            value,
            value_label,
        });
        self
    }

    /// Check AWS resource tags.
    pub fn check_tags(mut self) -> Self {
        self.rules.check = Some(ValueCheck::Tags);
        self
    }

    /// Computed only: the configuration never sets it.
    pub fn is_computed_only(&self) -> bool {
        matches!(self.attribute.constraint, AttributeConstraint::Computed)
    }
}

pub fn string() -> AttributeType {
    AttributeType::String
}

pub fn number() -> AttributeType {
    AttributeType::Number
}

pub fn boolean() -> AttributeType {
    AttributeType::Bool
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

/// An object whose attributes are the fields of `T`, all strings.
pub fn string_object_of<T: DeserializeOwned>() -> AttributeType {
    AttributeType::Object(
        field_names::<T>()
            .into_iter()
            .map(|name| (name.to_string(), AttributeType::String))
            .collect(),
    )
}

/// A block from its description, attributes and nested blocks.
pub fn block(doc: &str, attributes: &[Attr], blocks: Vec<(&str, NestedBlock)>) -> Block {
    Block {
        version: 1,
        attributes: attributes
            .iter()
            .map(|a| (a.name.to_string(), a.attribute.clone()))
            .collect::<HashMap<_, _>>(),
        blocks: blocks
            .into_iter()
            .map(|(name, b)| (name.to_string(), b))
            .collect(),
        description: Description::markdown(doc),
        deprecated: false,
    }
}

/// The schema of a resource or data source made of `attributes`.
pub fn schema(version: i64, doc: &str, attributes: &[Attr]) -> Schema {
    Schema {
        version,
        block: block(doc, attributes, vec![]),
    }
}

/// The field names of a struct that derives `Deserialize`, as serde knows them.
pub fn field_names<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut found = None;
    // The collector stops serde as soon as the struct has told its fields.
    let _ = T::deserialize(FieldCollector(&mut found));
    found.map(<[&str]>::to_vec).unwrap_or_default()
}

struct FieldCollector<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Collected;

impl fmt::Display for Collected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field names collected")
    }
}

impl std::error::Error for Collected {}

impl de::Error for Collected {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Collected
    }
}

impl<'de> de::Deserializer<'de> for FieldCollector<'_> {
    type Error = Collected;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Collected> {
        Err(Collected)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Collected> {
        *self.0 = Some(fields);
        Err(Collected)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Example {
        first: String,
        #[serde(rename = "second_name")]
        second: Option<i64>,
    }

    #[test]
    fn field_names_come_from_serde() {
        assert_eq!(field_names::<Example>(), vec!["first", "second_name"]);
        assert!(field_names::<String>().is_empty());
    }

    #[test]
    fn rules_are_declared_with_the_attribute() {
        let a = optional_computed("path", string(), "The path.")
            .default("/")
            .replace()
            .check(|_| Ok(()));
        assert!(a.rules.requires_replace);
        assert_eq!(a.rules.default, Some(DefaultValue::String("/")));
        assert!(matches!(a.rules.check, Some(ValueCheck::Text(_))));
        assert!(!a.is_computed_only());
        assert!(computed("id", string(), "Id.").is_computed_only());
    }
}
