//! Content types guessed from file-name extensions.

/// The fallback for unknown or missing extensions.
pub const DEFAULT: &str = "application/octet-stream";

/// Extension (lower case) -> content type; the common types people attach.
const TABLE: &[(&str, &str)] = &[
    // documents
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/markdown"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("rtf", "application/rtf"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("epub", "application/epub+zip"),
    // mail, calendar, contacts
    // Not message/rfc822: attachments are base64, which RFC 2046 forbids for it.
    ("eml", "application/octet-stream"),
    ("ics", "text/calendar"),
    ("vcf", "text/vcard"),
    // web and code
    ("js", "text/javascript"),
    ("mjs", "text/javascript"),
    ("css", "text/css"),
    ("wasm", "application/wasm"),
    // archives
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("7z", "application/x-7z-compressed"),
    ("rar", "application/vnd.rar"),
    ("bz2", "application/x-bzip2"),
    ("xz", "application/x-xz"),
    // images
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("bmp", "image/bmp"),
    ("ico", "image/vnd.microsoft.icon"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("heic", "image/heic"),
    ("avif", "image/avif"),
    // audio
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("flac", "audio/flac"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    // video
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
    ("avi", "video/x-msvideo"),
    ("webm", "video/webm"),
    ("mkv", "video/x-matroska"),
    ("mpeg", "video/mpeg"),
    ("mpg", "video/mpeg"),
    // fonts and binaries
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("exe", "application/vnd.microsoft.portable-executable"),
    ("bin", DEFAULT),
];

/// The content type for a file name, from its extension (case-insensitive);
/// `application/octet-stream` when unknown or absent.
pub fn guess(file_name: &str) -> &'static str {
    let Some((stem, ext)) = file_name.rsplit_once('.') else {
        return DEFAULT;
    };
    if stem.is_empty() && !file_name[1..].contains('.') {
        // ".pdf" is a hidden file named "pdf", not a PDF
        return DEFAULT;
    }
    TABLE
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map_or(DEFAULT, |&(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types() {
        assert_eq!(guess("report.pdf"), "application/pdf");
        assert_eq!(guess("PHOTO.JPG"), "image/jpeg");
        assert_eq!(
            guess("a.b.Docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(
            guess("年度报告 2026.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(guess("archive.tar.gz"), "application/gzip");
    }

    #[test]
    fn unknown_and_missing() {
        assert_eq!(guess("README"), DEFAULT);
        assert_eq!(guess("x.unknownext"), DEFAULT);
        assert_eq!(guess("trailingdot."), DEFAULT);
        assert_eq!(guess(".pdf"), DEFAULT);
        assert_eq!(guess(""), DEFAULT);
    }

    #[test]
    fn table_is_lower_case_and_valid() {
        for (ext, ct) in TABLE {
            assert_eq!(*ext, ext.to_ascii_lowercase());
            assert!(
                crate::message::params::check_content_type(ct).is_ok(),
                "{ct}"
            );
        }
        let mut exts: Vec<_> = TABLE.iter().map(|(e, _)| e).collect();
        exts.sort();
        exts.dedup();
        assert_eq!(exts.len(), TABLE.len(), "duplicate extension");
    }
}
