# Input functions and target lists of fan2025 (stub: the paper's pipeline is not built yet).


def fan2025_figures():
    return []


def fan2025_checks():
    return []


def fan2025_targets():
    return fan2025_figures() + fan2025_checks()
