# Input functions and target lists of cattaneo2024 (stub: the paper's pipeline is not built yet).


def cattaneo2024_figures():
    return []


def cattaneo2024_checks():
    return []


def cattaneo2024_targets():
    return cattaneo2024_figures() + cattaneo2024_checks()
