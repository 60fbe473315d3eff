"""Portal -> Plain's agents: customer cards Plain asks us for, and customer and thread events we
write into Plain's timelines, so an agent answering in Plain sees what the portal knows."""
