# hostile prior: numpy tile bomb
# expect: refused at load
# refused: over the prior's limit
import numpy as np

def policy(obs):
    tiled = np.tile(obs, 10 ** 9)
    return tiled[:3]
