# fan2025: all figures and theorem checks of the paper.


rule fan2025:
    input:
        fan2025_targets(),
