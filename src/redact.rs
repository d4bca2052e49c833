//! Temporary stand-in; replaced by the real redaction module.
#![allow(missing_docs, dead_code)]
use crate::client::Client;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Redaction {
    pub kind: &'static str,
    pub class: &'static str,
}

pub struct Redactor {
    names: Vec<String>,
}

impl Redactor {
    pub fn new(client: &Client, _permit_identity: bool, permit_third_party: bool) -> Self {
        Redactor {
            names: if permit_third_party {
                vec![]
            } else {
                client.third_parties.clone()
            },
        }
    }
    pub fn redact(&self, text: &str) -> (String, Vec<Redaction>) {
        let mut out = text.to_owned();
        let mut r = Vec::new();
        for n in &self.names {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), "[redacted: third-party]");
                r.push(Redaction {
                    kind: "third-party",
                    class: "name",
                });
            }
        }
        (out, r)
    }
}
