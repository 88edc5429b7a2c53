"""fan2025: the implicit bias of multiclass SignGD, normalised steepest descent and Adam."""
