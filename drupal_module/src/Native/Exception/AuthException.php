<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_AUTH: the token endpoint refused the credentials; aadsts() gives the AADSTS code.
 */
final class AuthException extends EntraException {
}
