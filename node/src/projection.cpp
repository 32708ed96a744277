// Chooses the projector a node uses for its subjects: dossiers get the
// dossier projector, every other subject falls back to the summary.
#include "motcua/node/dossiers.hpp"
#include "motcua/node/journal.hpp"

namespace motcua::node {

SubjectProjector default_projector() { return dossier_projector; }

}  // namespace motcua::node
