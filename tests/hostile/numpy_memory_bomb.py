# hostile prior: numpy memory bomb
# expect: refused at load
# refused: over the prior's limit
import numpy as np

def policy(obs):
    grid = np.zeros((100000, 100000))
    return grid[0, :3]
