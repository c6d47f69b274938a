"""Form renderers: each lays a `pep_docs.forms.FormSpec` out in one file format."""
