# hostile prior: no policy function
# expect: refused at load
# refused: the module defines no function named `policy`
import numpy as np

def act(obs):
    return np.zeros(3)
