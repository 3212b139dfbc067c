//! Query strings as the services read them: repeated keys and comma-separated lists.

use url::form_urlencoded;

use crate::assumptions::CONTAAZUL_ACCEPTS_COMMA_LISTS;

pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .map(|raw| {
                form_urlencoded::parse(raw.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// The last value given for `key`, if any and not blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key || k.strip_suffix("[]") == Some(key))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// Every value of a multi-value parameter (`k=a&k=b`, `k[]=a`, or `k=a,b`).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key || k.strip_suffix("[]") == Some(key))
            .flat_map(|(_, v)| {
                if CONTAAZUL_ACCEPTS_COMMA_LISTS {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>()
                } else {
                    vec![v.trim().to_string()]
                }
            })
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }
}

impl Query {
    /// The raw values of `key`, as given (no comma splitting), for re-serialising a URL.
    pub fn list_raw<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
