# hostile prior: generator frame walk
# expect: refused at load
# refused: "f_back" is a restricted name, that is forbidden to access in RestrictedPython
def policy(obs):
    gen = (x for x in [1])
    frame = gen.gi_frame.f_back
    return [0.0] * 3
