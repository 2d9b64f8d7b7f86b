"""Model families, one module per paper family (see DESIGN.md §2)."""
