<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_PERMISSION: the app lacks a Graph permission (HTTP 403), e.g. User.ReadWrite.All.
 */
final class PermissionException extends EntraException {
}
