"""Page routes, one module per journey; each route declares its permission."""
