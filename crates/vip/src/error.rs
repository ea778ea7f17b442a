//! Errors, split by whose they are. [`FeedError`] is the user's: a file that cannot be
//! read, XML that is not well formed, a CSV row that does not parse, a folder that holds
//! no feed; each names the file and, where known, the line and element id, so the user can
//! fix it. [`VipError::Internal`] is ours: a broken invariant, never the input's fault.
//! Validation findings (a dangling reference, an overlapping segment) are not errors at
//! all: they are data, in [`crate::validate::Report`].

use std::path::PathBuf;

/// A problem with the input the user gave.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The path cannot be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The XML is not well formed.
    #[error("{file}:{line}: malformed XML{}: {message}", element.as_deref().map(|e| format!(" in {e}")).unwrap_or_default())]
    Xml {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// The element being read (`StreetSegment ss001`), if any.
        element: Option<String>,
        /// What the parser said.
        message: String,
    },
    /// A CSV row cannot be read.
    #[error("{file}:{line}: bad CSV row: {message}")]
    Csv {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A zip archive cannot be read.
    #[error("{}: not a readable zip archive: {message}", path.display())]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The path holds nothing recognisable as a VIP feed.
    #[error("{}: not a VIP feed: {reason}", path.display())]
    NotAFeed {
        /// The path.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum VipError {
    /// The input is at fault.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// A bug here: an invariant did not hold.
    #[error("internal error in the VIP engine: {0}")]
    Internal(String),
}

impl VipError {
    /// True when the user can fix it by fixing the input.
    pub fn is_user_error(&self) -> bool {
        matches!(self, VipError::Feed(_))
    }
}

/// Result alias of this crate.
pub type Result<T, E = VipError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_and_element() {
        let e = VipError::from(FeedError::Xml {
            file: "feed.xml".into(),
            line: 12,
            element: Some("StreetSegment ss1".into()),
            message: "unexpected end".into(),
        });
        assert_eq!(
            e.to_string(),
            "feed.xml:12: malformed XML in StreetSegment ss1: unexpected end"
        );
        assert!(e.is_user_error());
        assert!(!VipError::Internal("x".into()).is_user_error());
    }
}
