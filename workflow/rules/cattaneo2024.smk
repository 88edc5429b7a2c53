# cattaneo2024: all figures and theorem checks of the paper.


rule cattaneo2024:
    input:
        cattaneo2024_targets(),
