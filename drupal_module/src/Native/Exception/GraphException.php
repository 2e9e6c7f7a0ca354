<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_GRAPH: any other Graph error; graphCode() and httpStatus() tell which.
 */
final class GraphException extends EntraException {
}
