"""Customer and thread events from portal actions (issue 13): not yet written."""
