"""What staff learn: questions the assistant could not answer, the phrasings staff teach it,
ratings, and the analytics of how citizens are helped."""
