-- A scenario for the scale-out recipes' test (tests/scale_out/recipes.py): fast, and failing on
-- about a quarter of the seeds, so a merge has failing seeds to name.
scenario { name = "dice", duration = "1s" }
check("not a one", math.random(1, 4) ~= 1, "rolled a one")
