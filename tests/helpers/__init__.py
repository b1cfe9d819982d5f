"""What several test modules share (fixtures, steps, data, the live server): test modules import
from here, never from one another."""
