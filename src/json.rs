//! JSON shapes PHP produces. `json_encode([])` gives `[]`, never `{}`: PHP has one array type, and
//! an empty one is encoded as a list. So everywhere the library expects a JSON object (a request,
//! the configuration's `mapping`, a Drupal user's `fields`, a question's `values`), an empty array
//! is read as an empty object, and the host never has to tell the two apart. A non-empty array is
//! still refused where an object is expected.

use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// `deserialize_with` for a field that holds a JSON object: also accepts `[]` as an empty one.
/// `T` is read from the object as it would be without this helper (a map or a struct).
pub fn map_or_empty_array<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ObjectVisitor(PhantomData))
}

/// As `map_or_empty_array`, for an optional object: `null` (or absent, with `#[serde(default)]`)
/// is `None`, `[]` an empty object.
pub fn option_map_or_empty_array<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Optional<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Optional<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object, [] or null")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            map_or_empty_array(d).map(Some)
        }
    }
    d.deserialize_option(Optional(PhantomData))
}

/// A request object: the same rule for a whole request (`json_encode([])` of a request that
/// sets no option, such as `entra_import_delta`'s or `entra_find_user`'s).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        map_or_empty_array(d).map(Object)
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object (or [] for an empty one)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        // Empty: read `T` from an object with no keys, so its defaults and its missing-field
        // errors are exactly those of `{}`.
        let empty = std::iter::empty::<(String, ())>();
        T::deserialize(MapDeserializer::<_, A::Error>::new(empty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Holder {
        #[serde(deserialize_with = "map_or_empty_array")]
        fields: BTreeMap<String, Value>,
        #[serde(deserialize_with = "option_map_or_empty_array")]
        extra: Option<Map<String, Value>>,
    }

    #[test]
    fn an_empty_array_is_an_empty_object() {
        let h: Holder = serde_json::from_str(r#"{"fields": [], "extra": []}"#).unwrap();
        assert_eq!(h.fields, BTreeMap::new());
        assert_eq!(h.extra, Some(Map::new()));
        let h: Holder = serde_json::from_str(r#"{"fields": {"a": 1}, "extra": null}"#).unwrap();
        assert_eq!(h.fields["a"], 1);
        assert_eq!(h.extra, None);
        let h: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(h, Holder::default());
        let h: Holder = serde_json::from_value(json!({"fields": [], "extra": {"k": "v"}})).unwrap();
        assert_eq!(h.extra.unwrap()["k"], "v");
    }

    #[test]
    fn a_non_empty_array_or_a_scalar_is_still_refused() {
        for bad in [
            r#"{"fields": [1]}"#,
            r#"{"fields": "x"}"#,
            r#"{"extra": [[]]}"#,
        ] {
            let err = serde_json::from_str::<Holder>(bad).unwrap_err().to_string();
            assert!(err.contains("an object"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_whole_request_may_be_an_empty_array() {
        let Object(h): Object<Holder> = serde_json::from_str("[]").unwrap();
        assert_eq!(h, Holder::default());
        let Object(h): Object<Holder> = serde_json::from_value(json!([])).unwrap();
        assert_eq!(h, Holder::default());
        #[derive(Debug, Deserialize)]
        struct Needs {
            #[allow(dead_code)]
            entra_id: String,
        }
        let err = serde_json::from_str::<Object<Needs>>("[]").unwrap_err();
        assert!(
            err.to_string().contains("missing field `entra_id`"),
            "{err}"
        );
    }
}
