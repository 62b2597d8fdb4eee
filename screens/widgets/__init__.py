"""Building blocks shared by the screens: the frame, record lists and forms, small modals."""
