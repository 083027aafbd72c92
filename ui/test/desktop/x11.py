"""What a window manager and a person do to the app's window, for the desktop tests: list the
shown top-level windows with a title, and ask one to close as a title bar's close button does
(WM_DELETE_WINDOW), which works without a window manager running.

    x11.py shown TITLE      prints the ids of the viewable top-level windows titled TITLE
    x11.py close ID         asks window ID to close
"""
import sys

from Xlib import X, display, protocol


def shown(screen_root, title):
    ids = []
    for window in screen_root.query_tree().children:
        try:
            if window.get_attributes().map_state != X.IsViewable:
                continue
            if window.get_wm_name() == title:
                ids.append(window.id)
        except Exception:  # A window that went away while listed.
            continue
    return ids


def close(dpy, window_id):
    window = dpy.create_resource_object("window", window_id)
    message = protocol.event.ClientMessage(
        window=window,
        client_type=dpy.intern_atom("WM_PROTOCOLS"),
        data=(32, [dpy.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
    )
    window.send_event(message, event_mask=X.NoEventMask)
    dpy.flush()


def main():
    dpy = display.Display()
    command, argument = sys.argv[1], sys.argv[2]
    if command == "shown":
        print("\n".join(str(i) for i in shown(dpy.screen().root, argument)))
    elif command == "close":
        close(dpy, int(argument))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
