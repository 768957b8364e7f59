"""One module per page: each turns the filters into the page template's context by calling
workspace methods and result objects (no analytics here)."""
