//! Where a new torrent goes: the cloud or this computer. A link may say, the user may have
//! remembered a choice, and otherwise the Add dialog asks. The cloud is never chosen for a user
//! who is not signed in: the dialog asks instead and says why.

use crate::link::LinkDestination;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Destination {
    Cloud,
    Local,
}

/// The choice the user asked the app to remember.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Remembered {
    AlwaysCloud,
    AlwaysLocal,
    #[default]
    Ask,
}

impl Remembered {
    /// What "remember this choice" in the Add dialog stores.
    pub fn always(destination: Destination) -> Remembered {
        match destination {
            Destination::Cloud => Remembered::AlwaysCloud,
            Destination::Local => Remembered::AlwaysLocal,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Decision {
    /// Add at once, with every file, to this destination.
    Submit { destination: Destination },
    /// Show the Add dialog, with `suggested` preselected and `note` explaining why it asks.
    Ask {
        suggested: Destination,
        note: Option<String>,
    },
}

pub fn decide(
    from_link: Option<LinkDestination>,
    remembered: Remembered,
    signed_in: bool,
) -> Decision {
    let wanted = match from_link {
        Some(link) => link.chosen(),
        None => match remembered {
            Remembered::AlwaysCloud => Some(Destination::Cloud),
            Remembered::AlwaysLocal => Some(Destination::Local),
            Remembered::Ask => None,
        },
    };
    let fallback = if signed_in {
        match remembered {
            Remembered::AlwaysLocal => Destination::Local,
            _ => Destination::Cloud,
        }
    } else {
        Destination::Local
    };
    match wanted {
        Some(Destination::Cloud) if !signed_in => Decision::Ask {
            suggested: Destination::Local,
            note: Some("Sign in to download in the cloud, or download on this computer.".into()),
        },
        Some(destination) => Decision::Submit { destination },
        None => Decision::Ask {
            suggested: fallback,
            note: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Destination::*;
    use LinkDestination as L;
    use Remembered::*;

    fn submit(destination: Destination) -> Decision {
        Decision::Submit { destination }
    }

    #[test]
    fn a_links_destination_wins_over_the_remembered_one() {
        assert_eq!(decide(Some(L::Local), AlwaysCloud, true), submit(Local));
        assert_eq!(decide(Some(L::Cloud), AlwaysLocal, true), submit(Cloud));
        assert!(matches!(
            decide(Some(L::Ask), AlwaysCloud, true),
            Decision::Ask { .. }
        ));
    }

    #[test]
    fn without_one_the_remembered_choice_applies() {
        assert_eq!(decide(None, AlwaysCloud, true), submit(Cloud));
        assert_eq!(decide(None, AlwaysLocal, false), submit(Local));
        assert_eq!(
            decide(None, Ask, true),
            Decision::Ask {
                suggested: Cloud,
                note: None
            }
        );
        assert_eq!(
            decide(None, Ask, false),
            Decision::Ask {
                suggested: Local,
                note: None
            }
        );
    }

    #[test]
    fn the_cloud_is_never_chosen_while_signed_out() {
        for link in [Some(L::Cloud), None] {
            match decide(link, AlwaysCloud, false) {
                Decision::Ask { suggested, note } => {
                    assert_eq!(suggested, Local);
                    assert!(note.expect("a reason").contains("Sign in"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn remembering_a_choice_stores_always_that() {
        assert_eq!(Remembered::always(Cloud), AlwaysCloud);
        assert_eq!(Remembered::always(Local), AlwaysLocal);
    }
}
