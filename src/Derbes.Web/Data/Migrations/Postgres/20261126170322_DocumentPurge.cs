using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DocumentPurge : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PurgedAt",
                table: "Documents",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PurgedAt",
                table: "Documents");
        }
    }
}
