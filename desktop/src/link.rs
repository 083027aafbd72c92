//! What the operating system hands the app (a launch argument, a second launch's argument, a
//! deep link event) checked against docs/deep-links.md before anything acts on it: a magnet, a
//! `tseeder://add?…` link with known parameters, or a `.torrent` file. Everything else is refused
//! with a message and nothing is added.

use crate::destination::Destination;
use std::path::PathBuf;
use tseeder_protocol::magnet;

/// The longest link or `uri` parameter accepted, in characters.
pub const MAX_LINK_CHARS: usize = 16_384;
/// The largest `.torrent` file read.
pub const MAX_TORRENT_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// What a link asks for: where the torrent comes from, and where it should go when it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub source: IncomingSource,
    /// `dest=` of a `tseeder://add` link; `None` lets the remembered choice decide.
    pub destination: Option<LinkDestination>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingSource {
    /// A checked magnet, in its canonical form.
    Magnet(String),
    /// An http(s) URL of a `.torrent` file.
    TorrentUrl(String),
    /// A `.torrent` file on this computer.
    TorrentFile(PathBuf),
}

/// `dest=` of a `tseeder://add` link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDestination {
    Cloud,
    Local,
    Ask,
}

impl LinkDestination {
    /// The destination the link preselects in the Add dialog, if it names one.
    pub fn chosen(self) -> Option<Destination> {
        match self {
            LinkDestination::Cloud => Some(Destination::Cloud),
            LinkDestination::Local => Some(Destination::Local),
            LinkDestination::Ask => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is empty")]
    Empty,
    #[error("the link is longer than {MAX_LINK_CHARS} characters")]
    TooLong,
    #[error("tseeder opens magnet links, tseeder://add links and .torrent files, not this")]
    Unsupported,
    #[error("this is not a valid magnet link: {0}")]
    Magnet(String),
    #[error("tseeder:// links only know the action \"add\"")]
    UnknownAction,
    #[error("the link's parameter {0:?} is not one tseeder knows; the link is refused")]
    UnknownParameter(String),
    #[error("the link repeats the parameter {0:?}")]
    RepeatedParameter(String),
    #[error("the link has no uri parameter")]
    MissingUri,
    #[error("dest must be cloud, local or ask")]
    BadDestination,
    #[error("the link is not valid percent-encoded UTF-8")]
    Encoding,
    #[error("only http(s) URLs of .torrent files without a user name or password are accepted")]
    BadTorrentUrl,
    #[error("a .torrent file must be an absolute path ending in .torrent")]
    BadTorrentPath,
}

/// Checks one argument or deep link as the operating system gave it.
pub fn parse(raw: &str) -> Result<Incoming, LinkError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(LinkError::Empty);
    }
    if text.chars().count() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(LinkError::Unsupported);
    }
    let scheme = text.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("magnet") => Ok(Incoming {
            source: IncomingSource::Magnet(checked_magnet(text)?),
            destination: None,
        }),
        Some("tseeder") => parse_deep_link(text),
        Some("file") => {
            let url = url::Url::parse(text).map_err(|_| LinkError::BadTorrentPath)?;
            if url
                .host_str()
                .is_some_and(|h| !h.is_empty() && h != "localhost")
            {
                return Err(LinkError::BadTorrentPath);
            }
            let path = url.to_file_path().map_err(|_| LinkError::BadTorrentPath)?;
            torrent_file(path)
        }
        _ if text.starts_with('/') => torrent_file(PathBuf::from(text)),
        _ => Err(LinkError::Unsupported),
    }
}

fn checked_magnet(text: &str) -> Result<String, LinkError> {
    magnet::parse(text, MAX_LINK_CHARS)
        .map(|m| m.to_uri())
        .map_err(|err| LinkError::Magnet(err.to_string()))
}

fn torrent_file(path: PathBuf) -> Result<Incoming, LinkError> {
    let is_torrent = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("torrent"));
    if !path.is_absolute() || !is_torrent {
        return Err(LinkError::BadTorrentPath);
    }
    Ok(Incoming {
        source: IncomingSource::TorrentFile(path),
        destination: None,
    })
}

fn parse_deep_link(text: &str) -> Result<Incoming, LinkError> {
    let url = url::Url::parse(text).map_err(|_| LinkError::Unsupported)?;
    // `tseeder://add?…` puts the action in the host; `tseeder:add?…` in the path. Both name it.
    let action = match url.host_str() {
        Some(host) => host.to_owned(),
        None => url.path().to_owned(),
    };
    let trailing_path = url.host_str().is_some() && !matches!(url.path(), "" | "/");
    if !action.eq_ignore_ascii_case("add") || trailing_path || url.fragment().is_some() {
        return Err(LinkError::UnknownAction);
    }
    if url.username() != "" || url.password().is_some() || url.port().is_some() {
        return Err(LinkError::UnknownAction);
    }
    let (mut uri, mut dest) = (None, None);
    for pair in url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| LinkError::Encoding)?
            .into_owned();
        let slot = match key {
            "uri" => &mut uri,
            "dest" => &mut dest,
            other => {
                return Err(LinkError::UnknownParameter(
                    other.chars().take(40).collect(),
                ))
            }
        };
        if slot.replace(value).is_some() {
            return Err(LinkError::RepeatedParameter(key.to_owned()));
        }
    }
    let uri = uri.ok_or(LinkError::MissingUri)?;
    let destination = match dest.as_deref() {
        None => None,
        Some("cloud") => Some(LinkDestination::Cloud),
        Some("local") => Some(LinkDestination::Local),
        Some("ask") => Some(LinkDestination::Ask),
        Some(_) => return Err(LinkError::BadDestination),
    };
    if uri.chars().count() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong);
    }
    if uri.chars().any(char::is_control) {
        return Err(LinkError::Unsupported);
    }
    let source = if uri
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("magnet:"))
    {
        IncomingSource::Magnet(checked_magnet(&uri)?)
    } else {
        IncomingSource::TorrentUrl(torrent_url(&uri)?)
    };
    Ok(Incoming {
        source,
        destination,
    })
}

/// An http(s) URL whose path ends in `.torrent`, with a host and no credentials.
pub fn torrent_url(text: &str) -> Result<String, LinkError> {
    let url = url::Url::parse(text.trim()).map_err(|_| LinkError::BadTorrentUrl)?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.path().to_ascii_lowercase().ends_with(".torrent");
    if !ok {
        return Err(LinkError::BadTorrentUrl);
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

    fn magnet() -> String {
        format!("magnet:?xt=urn:btih:{HASH}&dn=Debian")
    }

    fn encoded(text: &str) -> String {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[test]
    fn a_magnet_is_accepted_in_its_canonical_form() {
        let incoming = parse(&format!(
            "  {}  ",
            magnet().replace(HASH, &HASH.to_uppercase())
        ))
        .expect("magnet");
        assert_eq!(
            incoming.source,
            IncomingSource::Magnet(format!("magnet:?xt=urn:btih:{HASH}&dn=Debian"))
        );
        assert_eq!(incoming.destination, None);
    }

    #[test]
    fn the_documented_examples_parse() {
        let cloud = parse(&format!(
            "tseeder://add?uri=magnet%3A%3Fxt%3Durn%3Abtih%3A{HASH}&dest=cloud"
        ))
        .expect("cloud example");
        assert_eq!(cloud.destination, Some(LinkDestination::Cloud));
        assert!(matches!(cloud.source, IncomingSource::Magnet(_)));
        let ask =
            parse("tseeder://add?uri=https%3A%2F%2Fexample.org%2Fdebian-13.iso.torrent&dest=ask")
                .expect("url example");
        assert_eq!(
            ask.source,
            IncomingSource::TorrentUrl("https://example.org/debian-13.iso.torrent".into())
        );
        assert_eq!(ask.destination, Some(LinkDestination::Ask));
        let remembered =
            parse(&format!("tseeder://add?uri={}", encoded(&magnet()))).expect("no dest");
        assert_eq!(remembered.destination, None);
    }

    #[test]
    fn torrent_files_come_as_paths_or_file_urls() {
        assert_eq!(
            parse("/home/ann/Downloads/debian.torrent")
                .expect("path")
                .source,
            IncomingSource::TorrentFile("/home/ann/Downloads/debian.torrent".into())
        );
        assert_eq!(
            parse("file:///home/ann/My%20Files/debian.TORRENT")
                .expect("url")
                .source,
            IncomingSource::TorrentFile("/home/ann/My Files/debian.TORRENT".into())
        );
    }

    #[test]
    fn hostile_and_unknown_inputs_are_refused() {
        let m = encoded(&magnet());
        let refused = [
            ("", LinkError::Empty),
            ("https://example.org/file.torrent", LinkError::Unsupported),
            ("javascript:alert(1)", LinkError::Unsupported),
            ("relative/path.torrent", LinkError::Unsupported),
            ("--remote-debugging-port=9222", LinkError::Unsupported),
            ("/etc/passwd", LinkError::BadTorrentPath),
            (
                "file://evil.example/share/x.torrent",
                LinkError::BadTorrentPath,
            ),
            (
                "magnet:?dn=no-hash",
                LinkError::Magnet(
                    "the magnet link has no BitTorrent info hash (xt=urn:btih:… or urn:btmh:…)"
                        .into(),
                ),
            ),
            (
                "magnet:?xt=urn:btih:zz",
                LinkError::Magnet("malformed info hash \"urn:btih:zz\"".into()),
            ),
            (
                &format!("tseeder://remove?uri={m}"),
                LinkError::UnknownAction,
            ),
            (
                &format!("tseeder://add/extra?uri={m}"),
                LinkError::UnknownAction,
            ),
            (
                &format!("tseeder://user:pw@add?uri={m}"),
                LinkError::UnknownAction,
            ),
            (
                &format!("tseeder://add?uri={m}#frag"),
                LinkError::UnknownAction,
            ),
            (
                &format!("tseeder://add?uri={m}&folder=%2Fetc"),
                LinkError::UnknownParameter("folder".into()),
            ),
            (
                &format!("tseeder://add?uri={m}&uri={m}"),
                LinkError::RepeatedParameter("uri".into()),
            ),
            (
                &format!("tseeder://add?uri={m}&dest=cloud&dest=local"),
                LinkError::RepeatedParameter("dest".into()),
            ),
            (
                &format!("tseeder://add?uri={m}&dest=server"),
                LinkError::BadDestination,
            ),
            ("tseeder://add?dest=cloud", LinkError::MissingUri),
            ("tseeder://add?uri=%FF%FE", LinkError::Encoding),
            (
                "tseeder://add?uri=file%3A%2F%2F%2Fetc%2Fpasswd",
                LinkError::BadTorrentUrl,
            ),
            (
                "tseeder://add?uri=javascript%3Aalert(1)",
                LinkError::BadTorrentUrl,
            ),
            (
                "tseeder://add?uri=%2Fhome%2Fann%2Fx.torrent",
                LinkError::BadTorrentUrl,
            ),
            (
                "tseeder://add?uri=https%3A%2F%2Fuser%3Apw%40example.org%2Fa.torrent",
                LinkError::BadTorrentUrl,
            ),
            (
                "tseeder://add?uri=https%3A%2F%2Fexample.org%2Fa.iso",
                LinkError::BadTorrentUrl,
            ),
            (
                "tseeder://add?uri=magnet%3A%3Fxt%3Durn%3Abtih%3A00%0Aevil",
                LinkError::Unsupported,
            ),
        ];
        for (input, expected) in refused {
            assert_eq!(parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn oversized_links_are_refused_before_parsing() {
        let long = format!("{}&tr={}", magnet(), "a".repeat(MAX_LINK_CHARS));
        assert_eq!(parse(&long), Err(LinkError::TooLong));
        let nested = format!("tseeder://add?uri={}", encoded(&long));
        assert_eq!(parse(&nested), Err(LinkError::TooLong));
    }
}
