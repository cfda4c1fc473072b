//! The two attributes of coffi, recognised by name.

use syn::Attribute;

/// Which coffi attribute an attribute is, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CoffiAttr {
    /// `#[foreign_call]` / `#[coffi::foreign_call]`.
    ForeignCall,
    /// `#[export_callback]` / `#[coffi::export_callback]`.
    ExportCallback,
}

impl CoffiAttr {
    /// Recognises `name`, `coffi::name` and `::coffi::name`.
    pub(crate) fn of(attr: &Attribute) -> Option<CoffiAttr> {
        let segs: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let name = match segs.as_slice() {
            [name] => name,
            [krate, name] if krate == "coffi" => name,
            _ => return None,
        };
        match name.as_str() {
            "foreign_call" => Some(CoffiAttr::ForeignCall),
            "export_callback" => Some(CoffiAttr::ExportCallback),
            _ => None,
        }
    }

    /// The attribute's name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            CoffiAttr::ForeignCall => "foreign_call",
            CoffiAttr::ExportCallback => "export_callback",
        }
    }
}
