//! Where a new torrent goes: the cloud or this computer. A link never decides: whatever it says
//! (`dest=cloud`, `local` or `ask`) only preselects a choice in the Add dialog, because any web
//! page can open a link. The dialog is skipped only when the user turned on "add without
//! asking" and chose a destination in the settings; the link has no say in that. The cloud is
//! never chosen for a user who is not signed in: the dialog asks instead and says why.

use crate::link::LinkDestination;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Destination {
    Cloud,
    Local,
}

/// The destination the user chose in the settings (or by "remember" in the Add dialog).
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

    fn destination(self) -> Option<Destination> {
        match self {
            Remembered::AlwaysCloud => Some(Destination::Cloud),
            Remembered::AlwaysLocal => Some(Destination::Local),
            Remembered::Ask => None,
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

/// The user's own choices that bear on a new torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub remembered: Remembered,
    /// "Add without asking": skip the dialog for the remembered destination.
    pub add_without_asking: bool,
    pub signed_in: bool,
}

pub fn decide(from_link: Option<LinkDestination>, preferences: Preferences) -> Decision {
    let Preferences {
        remembered,
        add_without_asking,
        signed_in,
    } = preferences;
    let usable = |destination: &Destination| *destination == Destination::Local || signed_in;
    if add_without_asking {
        if let Some(destination) = remembered.destination().filter(usable) {
            return Decision::Submit { destination };
        }
    }
    let wanted = from_link
        .and_then(LinkDestination::chosen)
        .or(remembered.destination());
    match wanted {
        Some(Destination::Cloud) if !signed_in => Decision::Ask {
            suggested: Destination::Local,
            note: Some("Sign in to download in the cloud, or download on this computer.".into()),
        },
        Some(destination) => Decision::Ask {
            suggested: destination,
            note: None,
        },
        None => Decision::Ask {
            suggested: if signed_in {
                Destination::Cloud
            } else {
                Destination::Local
            },
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

    fn prefs(remembered: Remembered, add_without_asking: bool, signed_in: bool) -> Preferences {
        Preferences {
            remembered,
            add_without_asking,
            signed_in,
        }
    }

    fn ask(suggested: Destination) -> Decision {
        Decision::Ask {
            suggested,
            note: None,
        }
    }

    #[test]
    fn a_link_only_preselects_it_never_adds() {
        for remembered in [AlwaysCloud, AlwaysLocal, Ask] {
            assert_eq!(
                decide(Some(L::Local), prefs(remembered, false, true)),
                ask(Local)
            );
            assert_eq!(
                decide(Some(L::Cloud), prefs(remembered, false, true)),
                ask(Cloud)
            );
            assert!(matches!(
                decide(Some(L::Ask), prefs(remembered, false, true)),
                Decision::Ask { .. }
            ));
        }
    }

    #[test]
    fn without_a_link_the_remembered_choice_is_preselected() {
        assert_eq!(decide(None, prefs(AlwaysCloud, false, true)), ask(Cloud));
        assert_eq!(decide(None, prefs(AlwaysLocal, false, true)), ask(Local));
        assert_eq!(decide(None, prefs(Ask, false, true)), ask(Cloud));
        assert_eq!(decide(None, prefs(Ask, false, false)), ask(Local));
    }

    #[test]
    fn only_the_users_own_setting_skips_the_dialog_and_the_link_does_not_redirect_it() {
        let submit = |destination| Decision::Submit { destination };
        assert_eq!(
            decide(Some(L::Cloud), prefs(AlwaysLocal, true, true)),
            submit(Local)
        );
        assert_eq!(
            decide(Some(L::Local), prefs(AlwaysCloud, true, true)),
            submit(Cloud)
        );
        assert_eq!(decide(None, prefs(AlwaysLocal, true, false)), submit(Local));
        // Without a chosen destination there is nothing to add to without asking.
        assert_eq!(decide(Some(L::Local), prefs(Ask, true, true)), ask(Local));
    }

    #[test]
    fn the_cloud_is_never_chosen_while_signed_out() {
        for (link, add_without_asking) in [(Some(L::Cloud), false), (None, false), (None, true)] {
            match decide(link, prefs(AlwaysCloud, add_without_asking, false)) {
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
